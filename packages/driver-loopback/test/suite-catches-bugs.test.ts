import { describe, it } from 'vitest';
import { ROOT_REQUIRED } from '../src/index.js';
import type { MutantName } from './mutants/mutants.js';
import { runSuite } from './mutants/run-suite.js';

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
};

// Each run is a vitest of its own, mostly waiting on loop devices: they run side by side, so their limit allows
// for a loaded machine.
describe.skipIf(process.getuid?.() !== 0)('the conformance suite', { concurrent: true }, () => {
  for (const [mutant, expected] of Object.entries(EXPECTED)) {
    it(`fails the "${mutant}" mutant in the tests that own the bug`, { timeout: 300_000 }, async ({
      expect,
    }) => {
      const run = await runSuite(mutant as MutantName);
      expect(run.exitCode, run.output).toBe(1);
      const failed = run.tests.filter((test) => test.status === 'failed').map((test) => test.title);
      expect(failed).toEqual(expect.arrayContaining(expected));
    });
  }

  it('reports every test skipped, with the reason, for a user who is not root', {
    timeout: 300_000,
  }, async ({ expect }) => {
    const run = await runSuite('none', { unprivileged: true });
    expect(run.exitCode, run.output).toBe(0);
    expect(run.tests.length).toBeGreaterThan(30);
    expect(run.tests.filter((test) => test.status !== 'skipped')).toEqual([]);
    expect(run.output).toContain(ROOT_REQUIRED);
  });
});
