// Sums the vitest JSON reports that every package writes to test-results/vitest.json into the one closing
// line CI reads: `N passed, N failed, N skipped`.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export function collectResults(root) {
  const rows = [];
  for (const group of ['packages', 'tooling']) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      const file = join(dir, name, 'test-results', 'vitest.json');
      if (!existsSync(file)) continue;
      const report = JSON.parse(readFileSync(file, 'utf8'));
      rows.push({
        name: `${group}/${name}`,
        passed: report.numPassedTests,
        // A test file that fails to load has no failed tests, but it is a failure all the same.
        failed:
          report.numFailedTests +
          report.testResults.filter(
            (file) => file.status === 'failed' && !file.assertionResults.some((t) => t.status === 'failed'),
          ).length,
        skipped: report.numPendingTests + report.numTodoTests,
      });
    }
  }
  return rows;
}

export function printSummary(root) {
  const rows = collectResults(root);
  const total = { passed: 0, failed: 0, skipped: 0 };
  console.log('\nTest results by package:');
  for (const row of rows) {
    console.log(
      `  ${row.name.padEnd(34)} ${row.passed} passed, ${row.failed} failed, ${row.skipped} skipped`,
    );
    total.passed += row.passed;
    total.failed += row.failed;
    total.skipped += row.skipped;
  }
  console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
  return total;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { failed } = printSummary(process.argv[2] ?? process.cwd());
  process.exit(failed > 0 ? 1 : 0);
}
