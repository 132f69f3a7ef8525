// Plain JavaScript: vitest loads package configs through Node, which cannot import TypeScript on Node 20.
import { configDefaults, defineConfig, mergeConfig } from 'vitest/config';
import { AFTER_NOBODY_VARIABLE, passedAsNobody, SLOW_TESTS, TIER_VARIABLE } from './tiers.js';

export * from './tiers.js';

/**
 * Every test's and hook's limit: a hang is caught, a loaded machine is not (two CI runs side by side on two cores
 * make a 2-second test take a minute). Speed is measured by benchmarks, never by these limits.
 */
export const TEST_TIMEOUT_MS = 300_000;

/**
 * A package's vitest config: its tests under test/, the console reporter, and the JSON report that the root
 * test command sums into one `N passed, N failed` line. With `FLOCKER_TEST_TIER=fast`, the slow tier is left out.
 *
 * A package's test files share its workers (vitest's `isolate: false`): the modules load once per worker, not once
 * per file (the AWS SDK alone costs a CPU-second a load). So a test file leaves nothing behind: no timer or server
 * left running, no module state one file sets for the next, no process-wide setting left changed (environment,
 * working directory, module mocks). A package whose files cannot keep that passes `{ test: { isolate: true } }`.
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
        isolate: false,
        testTimeout: TEST_TIMEOUT_MS,
        hookTimeout: TEST_TIMEOUT_MS,
        reporters: ['default', 'json'],
        outputFile: { json: 'test-results/vitest.json' },
      },
    }),
    overrides,
  );
}
