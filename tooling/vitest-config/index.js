// Plain JavaScript: vitest loads package configs through Node, which cannot import TypeScript on Node 20.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configDefaults, defineConfig, mergeConfig } from 'vitest/config';

/**
 * Test files of the slow tier: the tests that test the tooling (mutant runs, pack-and-install, the generator,
 * end-to-end certify). CI runs them; `npm test -- --fast` leaves them out.
 */
export const SLOW_TESTS = 'test/**/*.slow.test.ts';

/**
 * Every test's and hook's limit: a hang is caught, a loaded machine is not (two CI runs side by side on two cores
 * make a 2-second test take a minute). Speed is measured by benchmarks, never by these limits.
 */
export const TEST_TIMEOUT_MS = 300_000;

/**
 * The environment variable `npm test -- --fast` sets to `fast` and `npm test -- --slow` to `slow` (turbo passes
 * `FLOCKER_*` to the test tasks).
 */
export const TIER_VARIABLE = 'FLOCKER_TEST_TIER';

/**
 * Set to `1` by CI after the run as nobody (scripts/test-as-nobody.mjs): each test file whose every test passed
 * as nobody is left out of the root run, so a file runs once, as the least privileged user that can run it.
 */
export const AFTER_NOBODY_VARIABLE = 'FLOCKER_TEST_AFTER_NOBODY';

/** Where scripts/test-as-nobody.mjs leaves a package's report. */
export const NOBODY_REPORT = 'test-results/nobody.json';

/**
 * The test files, relative to the package, of which every test passed as nobody, from the package's
 * NOBODY_REPORT; none when there is no report.
 * @param {string} packageDir
 * @returns {string[]}
 */
export function passedAsNobody(packageDir) {
  const report = join(packageDir, NOBODY_REPORT);
  if (!existsSync(report)) return [];
  const results = JSON.parse(readFileSync(report, 'utf8'));
  return results.testResults
    .filter(
      (file) =>
        file.status === 'passed' &&
        file.assertionResults.length > 0 &&
        file.assertionResults.every((test) => test.status === 'passed'),
    )
    .map((file) => relativeTestPath(file.name));
}

/**
 * A test file's path from its package folder (`test/x.test.ts`), wherever the checkout was: the run as nobody
 * may see it under another folder.
 * @param {string} path
 */
export function relativeTestPath(path) {
  const at = path.lastIndexOf('/test/');
  return at === -1 ? path : path.slice(at + 1);
}

/**
 * A package's vitest config: its tests under test/, the console reporter, and the JSON report that the root
 * test command sums into one `N passed, N failed` line. With `FLOCKER_TEST_TIER=fast`, the slow tier is left out.
 *
 * Each test file gets a fresh process (vitest's `isolate`), which loads the package's modules again: the AWS SDK
 * alone costs a CPU-second per file. A package whose test files leave nothing behind (no timers or servers left
 * running, no module state one file sets for the next, no process-wide settings left changed) passes
 * `{ test: { isolate: false } }`: files then share the workers, and the modules load once per worker.
 * @param {string} name the project name shown in test output
 * @param {import('vitest/config').ViteUserConfig} [overrides]
 */
export function packageConfig(name, overrides = {}) {
  const tier = process.env[TIER_VARIABLE];
  const afterNobody = process.env[AFTER_NOBODY_VARIABLE] === '1';
  const exclude = [
    ...configDefaults.exclude,
    ...(tier === 'fast' ? [SLOW_TESTS] : []),
    ...(afterNobody ? passedAsNobody(process.cwd()) : []),
  ];
  return mergeConfig(
    defineConfig({
      test: {
        name,
        include: [tier === 'slow' ? SLOW_TESTS : 'test/**/*.test.ts'],
        exclude,
        // A package may have nothing left to run in one tier, or after the run as nobody: not a failure.
        passWithNoTests: tier !== undefined || afterNobody,
        // Most test files wait on processes, timers, loop devices and emulated clouds rather than on the CPU;
        // vitest's default on a 2-core machine is one file at a time.
        maxWorkers: 3,
        testTimeout: TEST_TIMEOUT_MS,
        hookTimeout: TEST_TIMEOUT_MS,
        reporters: ['default', 'json'],
        outputFile: { json: 'test-results/vitest.json' },
      },
    }),
    overrides,
  );
}
