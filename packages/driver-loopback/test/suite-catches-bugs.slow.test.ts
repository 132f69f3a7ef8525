import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT_REQUIRED } from '../src/index.js';
import { MUTANTS, type MutantName } from './mutants/mutants.js';
import { runSuite, type SuiteRun } from './mutants/run-suite.js';

// Each mutant carries one bug; the suite must name it through the tests that own that part of the contract.
const EXPECTED: Record<Exclude<MutantName, 'none'>, string[]> = {
  'silent-unknown': [
    'destroyVolume(unknown id) rejects with UNKNOWN_VOLUME',
    'destroyVolume(destroyed volume) rejects with UNKNOWN_VOLUME',
    'detachVolume(unknown id) rejects with UNKNOWN_VOLUME',
  ],
  'stale-device': [
    'detachVolume() lists the volume as unattached and removes its device, leaving others attached',
  ],
  'shared-device': ['getDevicePath() gives each attached volume a device of its own'],
  'hides-attached': [
    'listVolumes() lists an attached volume as attached to this node',
    'listVolumes() lists attached and unattached volumes together',
    'attachVolume() after detachVolume() attaches the volume again',
  ],
  'rounds-sizes': [
    'createVolume(size that is not a positive multiple of the allocation unit) rejects with INVALID_SIZE',
  ],
  'leaks-volumes': [
    'listVolumes() lists the volume createVolume() returned',
    'parallel createVolume() calls give distinct volumes, all listed',
  ],
  'foreign-device': ['getDevicePath(volume attached to another node) rejects with UNATTACHED'],
  'steals-attached': [
    'attachVolume(volume attached to another node) rejects with ALREADY_ATTACHED and leaves it there',
  ],
  'detaches-here-only': [
    'detachVolume() detaches a volume from whichever node holds it, another node included',
  ],
  'hides-foreign': ['listVolumes() lists a volume attached to another node as attached there'],
  'one-page': ['listVolumes() is complete when the volumes fill more than one page of the backend'],
  'destroys-attached': [
    'destroyVolume(attached volume) is refused with ALREADY_ATTACHED and keeps it, or destroys it, as declared',
  ],
  'destroys-attached-keeps-device': [
    'destroyVolume(attached volume) is refused with ALREADY_ATTACHED and keeps it, or destroys it, as declared',
  ],
  'claims-idempotent': [
    'createVolume() for a dataset that has a volume returns it or refuses with DATASET_EXISTS, as declared, never a second',
  ],
  'second-volume': [
    'createVolume() for a dataset that has a volume returns it or refuses with DATASET_EXISTS, as declared, never a second',
  ],
  'drops-profiles': ['createVolumeWithProfile() reaches the backend: it holds each volume under its profile'],
  'drifting-unit': [
    'allocationUnit() stays the same while the API creates, attaches, detaches and destroys volumes',
  ],
  'resize-loses-data': ['resizeVolume() grows an unattached volume to the new size, keeping its data'],
  'resize-attached': [
    'resizeVolume() refuses an attached volume, a size not larger or off the unit, and an unknown id, changing nothing',
  ],
  'lists-stopped': [
    'listLiveNodes() leaves out a stopped node',
    'startNode() starts a stopped node: listLiveNodes() includes it again',
  ],
  'start-does-nothing': ['startNode() starts a stopped node: listLiveNodes() includes it again'],
};

/**
 * The driver as it is runs every case; each mutant only the cases that own its bug, which is all the proof
 * needs and keeps the run short.
 */
const ONLY_OWNERS = [
  'loopback mutant none: ',
  ...Object.entries(EXPECTED).map(
    ([mutant, titles]) => `loopback mutant ${mutant}: .*(${titles.map(escapeRegExp).join('|')})$`,
  ),
].join('|');

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The tests of one mutant's suite in the run. */
function testsOf(run: SuiteRun, mutant: MutantName): SuiteRun['tests'] {
  return run.tests.filter((test) => test.suite.startsWith(`loopback mutant ${mutant}:`));
}

describe.skipIf(process.getuid?.() !== 0)('the conformance suite', () => {
  let run: SuiteRun;
  // Every mutant in one vitest, one suite after another: a loaded machine may take minutes.
  beforeAll(async () => {
    run = await runSuite(Object.keys(MUTANTS) as MutantName[], { testNamePattern: ONLY_OWNERS });
  }, 900_000);

  it('passes the driver as it is, every case run (the simulated cloud, pages and the other node included)', () => {
    const tests = testsOf(run, 'none');
    expect(tests.length, run.output).toBeGreaterThanOrEqual(52);
    expect(tests.filter((test) => test.status !== 'passed')).toEqual([]);
  });

  for (const [mutant, expected] of Object.entries(EXPECTED)) {
    it(`fails the "${mutant}" mutant in the tests that own the bug`, () => {
      const failed = testsOf(run, mutant as MutantName)
        .filter((test) => test.status === 'failed')
        .map((test) => test.title);
      expect(failed).toEqual(expect.arrayContaining(expected));
      expect(failed.length, 'no case that owns the bug ran').toBeGreaterThan(0);
    });
  }

  it('reports every test skipped, with the reason, for a user who is not root', {
    timeout: 300_000,
  }, async () => {
    const run = await runSuite(['none'], { unprivileged: true });
    expect(run.exitCode, run.output).toBe(0);
    expect(run.tests.length).toBeGreaterThan(30);
    expect(run.tests.filter((test) => test.status !== 'skipped')).toEqual([]);
    expect(run.output).toContain(ROOT_REQUIRED);
  });
});
