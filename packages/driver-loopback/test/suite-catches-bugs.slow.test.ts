import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT_REQUIRED } from '../src/index.js';
import { MUTANTS, type MutantName } from './mutants/mutants.js';
import { EXPECTED, ONLY_OWNERS } from './mutants/owners.js';
import { runSuite, type SuiteRun } from './mutants/run-suite.js';

/** The tests of one mutant's suite in the run. */
function testsOf(run: SuiteRun, mutant: MutantName): SuiteRun['tests'] {
  return run.tests.filter((test) => test.suite.startsWith(`loopback mutant ${mutant}:`));
}

describe.skipIf(process.getuid?.() !== 0)('the conformance suite', () => {
  let run: SuiteRun;
  // Every mutant in one vitest, one suite after another: a loaded machine may take minutes.
  beforeAll(async () => {
    run = await runSuite(Object.keys(MUTANTS) as MutantName[], { testNamePattern: ONLY_OWNERS });
  }, 900_000);

  it('passes the driver as it is, every case run (the simulated cloud, pages and the other node included)', () => {
    const tests = testsOf(run, 'none');
    expect(tests.length, run.output).toBeGreaterThanOrEqual(52);
    expect(tests.filter((test) => test.status !== 'passed')).toEqual([]);
  });

  for (const [mutant, expected] of Object.entries(EXPECTED)) {
    it(`fails the "${mutant}" mutant in the tests that own the bug`, () => {
      const failed = testsOf(run, mutant as MutantName)
        .filter((test) => test.status === 'failed')
        .map((test) => test.title);
      expect(failed).toEqual(expect.arrayContaining(expected));
      expect(failed.length, 'no case that owns the bug ran').toBeGreaterThan(0);
    });
  }

  it('reports every test skipped, with the reason, for a user who is not root', {
    timeout: 300_000,
  }, async () => {
    const run = await runSuite(['none'], { unprivileged: true });
    expect(run.exitCode, run.output).toBe(0);
    expect(run.tests.length).toBeGreaterThan(30);
    expect(run.tests.filter((test) => test.status !== 'skipped')).toEqual([]);
    expect(run.output).toContain(ROOT_REQUIRED);
  });
});
