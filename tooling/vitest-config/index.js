// Plain JavaScript: vitest loads package configs through Node, which cannot import TypeScript on Node 20.
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

/** The environment variable `npm test -- --fast` sets (turbo passes `FLOCKER_*` to the test tasks). */
export const TIER_VARIABLE = 'FLOCKER_TEST_TIER';

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
  const fast = process.env[TIER_VARIABLE] === 'fast';
  return mergeConfig(
    defineConfig({
      test: {
        name,
        include: ['test/**/*.test.ts'],
        exclude: fast ? [...configDefaults.exclude, SLOW_TESTS] : [...configDefaults.exclude],
        // A package whose every test is slow has nothing to run in the fast tier, which is not a failure.
        passWithNoTests: fast,
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
