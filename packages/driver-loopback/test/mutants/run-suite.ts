import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nobodyCommand } from '@flockerjs/vitest-config/nobody';
import type { MutantName } from './mutants.js';

const WORKSPACE = fileURLToPath(new URL('../../../..', import.meta.url)).replace(/\/$/, '');
/** The package folder: the mutants' config path is relative to it, wherever this run was started. */
const PACKAGE = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');

const vitestCli = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');

export interface SuiteRun {
  readonly exitCode: number | null;
  /** Console output of the verbose reporter, ANSI-free. */
  readonly output: string;
  /** Each test's suite (the `describeBlockDeviceAPI` name), title and status. */
  readonly tests: readonly { readonly suite: string; readonly title: string; readonly status: string }[];
}

/**
 * Runs the conformance suite against each of `mutants` in one vitest of its own, optionally as an unprivileged
 * user (`nobody`), and returns its verdict per test.
 */
export async function runSuite(
  mutants: readonly MutantName[],
  options: { unprivileged?: boolean; testNamePattern?: string } = {},
): Promise<SuiteRun> {
  const dir = await mkdtemp(join(tmpdir(), 'flockerjs-suite-run-'));
  await chmod(dir, 0o777);
  const report = join(dir, 'report.json');
  // The runner config loader writes no bundled config next to the package, which nobody may not do.
  const vitest = [vitestCli, 'run', '--configLoader', 'runner', '--config', 'test/mutants/vitest.config.ts'];
  const argv = [...vitest, '--reporter=verbose', '--reporter=json', `--outputFile.json=${report}`];
  // Wherever the checkout is (under /root, or a 0700 `mktemp -d` folder), nobody gets to read it.
  const { file, args, cwd } = options.unprivileged
    ? nobodyCommand([process.execPath, ...argv], { cwd: PACKAGE, checkout: WORKSPACE, scratch: dir })
    : { file: process.execPath, args: argv, cwd: PACKAGE };
  if (options.testNamePattern !== undefined) args.push('--testNamePattern', options.testNamePattern);
  try {
    const { exitCode, output } = await new Promise<{ exitCode: number | null; output: string }>((resolve) => {
      execFile(
        file,
        args,
        {
          cwd,
          env: { ...process.env, FLOCKER_MUTANTS: mutants.join(','), HOME: dir, NO_COLOR: '1' },
          maxBuffer: 64 * 1024 * 1024,
        },
        (error, stdout, stderr) =>
          resolve({
            exitCode: error === null ? 0 : typeof error.code === 'number' ? error.code : null,
            output: `${stdout}${stderr}`,
          }),
      );
    });
    const { testResults } = JSON.parse(await readFile(report, 'utf8')) as {
      testResults: { assertionResults: { ancestorTitles: string[]; title: string; status: string }[] }[];
    };
    const tests = testResults.flatMap((result) =>
      result.assertionResults.map(({ ancestorTitles, title, status }) => ({
        suite: ancestorTitles[0] ?? '',
        title,
        status,
      })),
    );
    return { exitCode, output, tests };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
