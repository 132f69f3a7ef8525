/** The counts of a vitest JSON report (`test-results/vitest.json`). */
export interface VitestCounts {
  readonly numPassedTests: number;
  readonly numFailedTests: number;
  readonly numPendingTests: number;
}

/**
 * Whether a driver's conformance run proves anything: no failure, and at least one test passed. A run in which
 * every test was skipped (no root, no emulator) is a failure of the job, not a pass.
 */
export function judgeConformance(report: VitestCounts): { readonly ok: boolean; readonly summary: string } {
  const summary = `${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numPendingTests} skipped`;
  if (report.numFailedTests > 0) return { ok: false, summary };
  if (report.numPassedTests === 0)
    return { ok: false, summary: `${summary}: every test was skipped, nothing was proved` };
  return { ok: true, summary };
}
