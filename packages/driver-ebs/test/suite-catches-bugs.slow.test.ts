import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { skipUnlessRoot } from './emulated-cloud.js';
import type { MutantName } from './mutants/mutants.js';

const vitestCli = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
/** The package folder: the mutants' config path is relative to it, wherever this run was started. */
const PACKAGE = fileURLToPath(new URL('..', import.meta.url));

/** The conformance tests that own the bugs of the mutants; only these run, to keep the proof short. */
const SELECTED = [
  'getDevicePath() gives each attached volume a device of its own',
  'detachVolume() lists the volume as unattached and removes its device, leaving others attached',
  "two APIs from the factory (two clusters) neither see nor touch each other's volumes",
  'parallel createVolume() calls give distinct volumes, all listed',
];

// Swapping two volumes' devices passes "a device of its own" (each gets a distinct path); the detach test,
// which writes a marker through one device and checks it is gone, is what catches it.
const EXPECTED_FAILURES: Record<MutantName, string[]> = {
  none: [],
  'wrong-device': [SELECTED[1] ?? ''],
  'ignores-cluster': [SELECTED[2] ?? ''],
};

interface Result {
  readonly ancestorTitles: string[];
  readonly title: string;
  readonly status: string;
}

async function runMutants(): Promise<{ output: string; results: Result[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'flockerjs-ebs-mutants-'));
  const report = join(dir, 'report.json');
  const pattern = SELECTED.map((title) => title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  const args = [
    vitestCli,
    'run',
    '--config',
    'test/mutants/vitest.config.ts',
    '--reporter=json',
    `--outputFile.json=${report}`,
    '-t',
    pattern,
  ];
  try {
    const output = await new Promise<string>((resolve) => {
      execFile(
        process.execPath,
        args,
        { cwd: PACKAGE, env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 64 * 1024 * 1024 },
        (_error, stdout, stderr) => resolve(`${stdout}${stderr}`),
      );
    });
    const { testResults } = JSON.parse(await readFile(report, 'utf8')) as {
      testResults: { assertionResults: Result[] }[];
    };
    return { output, results: testResults.flatMap((file) => file.assertionResults) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe.skipIf(skipUnlessRoot() !== undefined)('the conformance suite on the EC2 emulator', () => {
  it('fails each EBS mutant in the tests that own its bug, and passes the unchanged driver', {
    // The mutants run one after another in a child vitest: on a machine running two suites side by side that took
    // over 180 s (about 60 s alone), so the limit is sized for that.
    timeout: 600_000,
  }, async () => {
    const { output, results } = await runMutants();
    const verdicts = Object.fromEntries(
      Object.keys(EXPECTED_FAILURES).map((mutant) => {
        const mine = results.filter(
          (result) =>
            result.ancestorTitles[0] === `mutant ${mutant}: IBlockDeviceAPI conformance` &&
            result.status !== 'skipped',
        );
        return [
          mutant,
          {
            ran: mine.length,
            failed: mine
              .filter((r) => r.status === 'failed')
              .map((r) => r.title)
              .sort(),
          },
        ];
      }),
    );
    const expected = Object.fromEntries(
      Object.entries(EXPECTED_FAILURES).map(([mutant, failed]) => [
        mutant,
        { ran: SELECTED.length, failed: [...failed].sort() },
      ]),
    );
    expect(verdicts, output.slice(-4000)).toEqual(expected);
  });
});
