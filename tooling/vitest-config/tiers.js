// The test tiers, in plain JavaScript with no dependency: scripts/dev.mjs reads them before anything is installed.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

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

/** Where a run's JSON report goes, from its config's folder; the workspace run's is split into each package's. */
export const REPORT = 'test-results/vitest.json';

/** Where scripts/test-as-nobody.mjs leaves a package's report. */
export const NOBODY_REPORT = 'test-results/nobody.json';

/**
 * Splits the JSON report of a workspace run (the root vitest.config.ts) by package: each package's files go to its
 * `packageReport` ({@link REPORT} or {@link NOBODY_REPORT}). Files are matched by their path from the workspace,
 * so a run that saw the checkout under another folder (the run as nobody) splits the same.
 * @param {string} root the workspace root
 * @param {string} reportFile
 * @param {string} packageReport
 */
export function splitReport(root, reportFile, packageReport) {
  const results = JSON.parse(readFileSync(reportFile, 'utf8'));
  for (const { group, folder, dir } of testedPackages(root)) {
    const mine = results.testResults.filter((result) => result.name.includes(`/${group}/${folder}/test/`));
    if (mine.length === 0) continue;
    mkdirSync(dirname(join(dir, packageReport)), { recursive: true });
    writeFileSync(join(dir, packageReport), JSON.stringify({ testResults: mine }));
  }
}

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
 * The workspace's packages that have a `test` script, in a stable order.
 * @param {string} root the workspace root
 * @returns {{ group: string, folder: string, dir: string, name: string }[]}
 */
export function testedPackages(root) {
  return ['packages', 'tooling'].flatMap((group) => {
    const parent = join(root, group);
    if (!existsSync(parent)) return [];
    return readdirSync(parent)
      .sort()
      .flatMap((folder) => {
        const dir = join(parent, folder);
        const manifest = join(dir, 'package.json');
        if (!existsSync(manifest)) return [];
        const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
        return pkg.scripts?.test === undefined ? [] : [{ group, folder, dir, name: pkg.name }];
      });
  });
}

/** The share of all tests that must run and pass for a user who is not root. */
export const MIN_NOBODY_SHARE = 0.6;

/**
 * The share of all tests that ran and passed as nobody, when there was a run as nobody. A test file may run in
 * both runs (CI leaves the files that passed whole as nobody out of the root run): each test counts once.
 *
 * @typedef {{ name: string, files: { path: string, tests: number }[], passed: number, failed: number, skipped: number }} RunRow
 * @param {RunRow[]} rootRows one per package, of the root run
 * @param {RunRow[]} nobodyRows one per package, of the run as nobody
 * @returns {{ passed: number, all: number, share: number } | undefined}
 */
export function nobodyShare(rootRows, nobodyRows) {
  if (nobodyRows.length === 0) return undefined;
  const inRoot = new Set(rootRows.flatMap((row) => row.files.map((file) => `${row.name}/${file.path}`)));
  const nobodyOnly = nobodyRows
    .flatMap((row) => row.files.filter((file) => !inRoot.has(`${row.name}/${file.path}`)))
    .reduce((sum, file) => sum + file.tests, 0);
  const rootTests = rootRows.reduce((sum, row) => sum + row.passed + row.failed + row.skipped, 0);
  const passed = nobodyRows.reduce((sum, row) => sum + row.passed, 0);
  const all = rootTests + nobodyOnly;
  return { passed, all, share: all === 0 ? 0 : passed / all };
}
