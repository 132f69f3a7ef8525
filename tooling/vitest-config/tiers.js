// The test tiers, in plain JavaScript with no dependency: scripts/dev.mjs reads them before anything is installed.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Test files of the slow tier: the tests that test the tooling (mutant runs, pack-and-install, the generator,
 * end-to-end certify, the cluster suites). `npm test -- --fast` leaves them out, `npm test -- --slow` runs them alone.
 */
export const SLOW_TESTS = 'test/**/*.slow.test.ts';

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
