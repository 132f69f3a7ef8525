import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MutantName } from './mutants/mutants.js';

const vitestCli = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');

/** Runs the conformance suite against one mutant in a separate vitest and returns the titles that failed. */
async function failingTests(mutant: MutantName): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'flockerjs-mutant-'));
  const report = join(dir, 'report.json');
  try {
    const exitCode = await new Promise<number | null>((resolve) => {
      execFile(
        process.execPath,
        [
          vitestCli,
          'run',
          '--config',
          'test/mutants/vitest.config.ts',
          '--reporter=json',
          `--outputFile=${report}`,
        ],
        { env: { ...process.env, FLOCKER_MUTANT: mutant }, maxBuffer: 64 * 1024 * 1024 },
        (error) => resolve(error === null ? 0 : typeof error.code === 'number' ? error.code : null),
      );
    });
    const { testResults } = JSON.parse(await readFile(report, 'utf8')) as {
      testResults: { assertionResults: { title: string; status: string }[] }[];
    };
    const failed = testResults.flatMap((file) => file.assertionResults.filter((t) => t.status === 'failed'));
    expect(exitCode, 'vitest exit code for a failing suite').toBe(1);
    return failed.map((test) => test.title);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// Each mutant carries one bug; the suite must name it through the tests that own that part of the contract.
const EXPECTED: Record<MutantName, string[]> = {
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

describe.skipIf(process.getuid?.() !== 0)('the conformance suite fails broken drivers', () => {
  for (const [mutant, expected] of Object.entries(EXPECTED) as [MutantName, string[]][]) {
    it(`fails the "${mutant}" mutant in the tests that own the bug`, { timeout: 120_000 }, async () => {
      const failed = await failingTests(mutant);
      expect(failed).toEqual(expect.arrayContaining(expected));
    });
  }
});
