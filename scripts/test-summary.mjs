// Sums the vitest JSON reports every package writes into the one closing line CI reads:
// `N passed, N failed, N skipped`. The root run's report is split into each package's test-results/vitest.json,
// that of scripts/test-as-nobody.mjs into test-results/nobody.json; both count.
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import {
  MIN_NOBODY_SHARE,
  NOBODY_REPORT as NOBODY_REPORT_PATH,
  nobodyShare,
  REPORT,
  relativeTestPath,
  testedPackages,
} from '../tooling/vitest-config/tiers.js';

/** The report of the root run (tooling/vitest-config). */
export const ROOT_REPORT = basename(REPORT);
/** The report of the run as nobody (scripts/test-as-nobody.mjs). */
export const NOBODY_REPORT = basename(NOBODY_REPORT_PATH);

/** One row per package that has `report` in its test-results folder. */
export function collectResults(root, report = ROOT_REPORT) {
  const rows = [];
  for (const { group, folder, dir } of testedPackages(root)) {
    const file = join(dir, 'test-results', report);
    if (!existsSync(file)) continue;
    const results = JSON.parse(readFileSync(file, 'utf8'));
    const tests = results.testResults.flatMap((file) => file.assertionResults);
    const count = (...states) => tests.filter((test) => states.includes(test.status)).length;
    rows.push({
      name: `${group}/${folder}`,
      files: results.testResults.map((file) => ({
        path: relativeTestPath(file.name),
        tests: file.assertionResults.length,
      })),
      passed: count('passed'),
      // A test file that fails to load, or whose hook fails, may have no failed test, but it is a failure all the same.
      failed:
        count('failed') +
        results.testResults.filter(
          (file) => file.status === 'failed' && !file.assertionResults.some((t) => t.status === 'failed'),
        ).length,
      skipped: count('skipped', 'pending', 'todo'),
      failures: failures(results),
    });
  }
  return rows;
}

/**
 * What failed, one line each: the test's full name and the first line of its error, or a file that did not load.
 * CI may show only the tail of a long log, so the names must reach the summary, not just vitest's own output.
 */
function failures(results) {
  const lines = [];
  for (const file of results.testResults) {
    const failed = file.assertionResults.filter((t) => t.status === 'failed');
    if (file.status === 'failed' && failed.length === 0) {
      lines.push(`${file.name}: ${firstLine(file.message)}`);
    }
    for (const test of failed) lines.push(`${test.fullName}: ${firstLine(test.failureMessages?.[0])}`);
  }
  return lines;
}

function firstLine(text) {
  return (text ?? '').split('\n').find((line) => line.trim() !== '') ?? '(no message)';
}

export function totals(rows) {
  const total = { passed: 0, failed: 0, skipped: 0 };
  for (const row of rows) {
    total.passed += row.passed;
    total.failed += row.failed;
    total.skipped += row.skipped;
  }
  return total;
}

/**
 * Prints each run by package, what failed, the nobody share, and the closing line.
 * @param {string[]} failedChecks checks besides the tests that failed (lint, types): each counts as a failure
 */
export function printSummary(root, failedChecks = []) {
  const rootRows = collectResults(root, ROOT_REPORT);
  const nobodyRows = collectResults(root, NOBODY_REPORT);
  const runs = [
    ['As nobody (scripts/test-as-nobody.mjs):', nobodyRows],
    [process.getuid?.() === 0 ? 'As root:' : 'As this user (not root):', rootRows],
  ].filter(([, rows]) => rows.length > 0);
  for (const [title, rows] of runs) {
    console.log(`\n${title}`);
    for (const row of rows) {
      console.log(
        `  ${row.name.padEnd(34)} ${row.passed} passed, ${row.failed} failed, ${row.skipped} skipped`,
      );
    }
  }
  const failed = [
    ...failedChecks.map((check) => `  ${check}`),
    ...runs.flatMap(([title, rows]) =>
      rows.flatMap((row) =>
        row.failures.map(
          (line) => `  ${row.name}${title.startsWith('As nobody') ? ' (nobody)' : ''}: ${line}`,
        ),
      ),
    ),
  ];
  if (failed.length > 0) console.log(`\nFailed:\n${failed.join('\n')}`);
  const share = nobodyShare(rootRows, nobodyRows);
  if (share !== undefined) {
    console.log(
      `\nAs nobody, ${share.passed} of the ${share.all} tests of this run ran and passed: ${(share.share * 100).toFixed(1)}% ` +
        `(at least ${MIN_NOBODY_SHARE * 100}% must)`,
    );
  }
  const total = totals(runs.flatMap(([, rows]) => rows));
  total.failed += failedChecks.length;
  console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
  return { ...total, nobodyShare: share?.share };
}
