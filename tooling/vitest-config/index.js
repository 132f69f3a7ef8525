// Plain JavaScript: vitest loads package configs through Node, which cannot import TypeScript on Node 20.
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig, mergeConfig } from 'vitest/config';
import { LongestFirst } from './sequencer.js';
import {
  AFTER_NOBODY_VARIABLE,
  passedAsNobody,
  REPORT,
  SLOW_TESTS,
  TIER_VARIABLE,
  testedPackages,
} from './tiers.js';

export { LongestFirst } from './sequencer.js';
export * from './tiers.js';

/**
 * Every test's and hook's limit: a hang is caught, a loaded machine is not (two CI runs side by side on two cores
 * make a 2-second test take a minute). Speed is measured by benchmarks, never by these limits.
 */
export const TEST_TIMEOUT_MS = 300_000;

/** The workspace root: the root vitest.config.ts runs every package's tests from here. */
const WORKSPACE = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

/**
 * What the workspace run and a package's own run share. Test files share their workers (`isolate: false`): the
 * modules load once per worker, not once per file (the AWS SDK alone costs a CPU-second a load). So a test file
 * leaves nothing behind: no timer or server left running, no module state one file sets for the next, no
 * process-wide setting left changed (environment, working directory, module mocks). The JSON report goes to
 * {@link REPORT} under the config's folder.
 */
function sharedOptions() {
  const tier = process.env[TIER_VARIABLE];
  return {
    // A run may have nothing left in one tier, or after the run as nobody: not a failure.
    passWithNoTests: tier !== undefined || process.env[AFTER_NOBODY_VARIABLE] === '1',
    isolate: false,
    testTimeout: TEST_TIMEOUT_MS,
    hookTimeout: TEST_TIMEOUT_MS,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    reporters: ['default', 'json'],
    outputFile: { json: REPORT },
  };
}

/** The test files of the tier `FLOCKER_TEST_TIER` names (both tiers when unset), under `folders`. */
function tierFiles(folders) {
  const tier = process.env[TIER_VARIABLE];
  return {
    include: folders.map((folder) => join(folder, tier === 'slow' ? SLOW_TESTS : 'test/**/*.test.ts')),
    exclude: [...configDefaults.exclude, ...(tier === 'fast' ? folders.map((f) => join(f, SLOW_TESTS)) : [])],
  };
}

/**
 * A package's own vitest config (`pnpm --filter <package> test`): its tests under test/, with the settings of the
 * workspace run. `overrides` apply to this run only, never to `npm test`'s: a file keeps the rules above.
 * @param {string} name the project name shown in test output
 * @param {import('vitest/config').ViteUserConfig} [overrides]
 */
export function packageConfig(name, overrides = {}) {
  return mergeConfig(
    defineConfig({
      test: {
        ...sharedOptions(),
        ...tierFiles(['.']),
        name,
        // Most test files wait on processes, timers, loop devices and emulated clouds rather than on the CPU;
        // vitest's default on a 2-core machine is one file at a time.
        maxWorkers: 3,
      },
    }),
    overrides,
  );
}

/**
 * The config of the root vitest.config.ts, which `npm test` runs: every package's tests in one vitest, one
 * project, so that a worker runs files of any package and loads each module once (a vitest per package, or a
 * project per package, starts workers per package: three times the CPU of the tests themselves on 2 cores).
 * Files run longest first, as the last run timed them ({@link LongestFirst}). The report names each file by its
 * path, so scripts/test-summary.mjs splits it by package.
 */
export function workspaceConfig() {
  const packages = testedPackages(WORKSPACE);
  const folders = packages.map(({ dir }) => relative(WORKSPACE, dir));
  const { include, exclude } = tierFiles(folders);
  const afterNobody = process.env[AFTER_NOBODY_VARIABLE] === '1';
  const passed = afterNobody
    ? packages.flatMap(({ dir }) => passedAsNobody(dir).map((file) => join(relative(WORKSPACE, dir), file)))
    : [];
  return defineConfig({
    test: {
      ...sharedOptions(),
      root: WORKSPACE,
      include,
      exclude: [...exclude, ...passed],
      // Most files wait on processes, loop devices and emulated clouds: four share two cores well.
      maxWorkers: 4,
      sequence: { sequencer: LongestFirst },
    },
  });
}
