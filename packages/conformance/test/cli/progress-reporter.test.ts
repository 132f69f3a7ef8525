// What the certify command's reporter makes of a run, from a real vitest run of a fixture file.
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createVitest } from 'vitest/node';
import { ProgressReporter } from '../../src/cli/progress-reporter.js';

const FIXTURES = ['suites', 'file-setup'].map((name) =>
  fileURLToPath(new URL(`../fixtures/hook-failures/${name}.fixture.ts`, import.meta.url)),
);

async function report(): Promise<{ reporter: ProgressReporter; printed: string }> {
  let printed = '';
  const out = new PassThrough();
  out.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  const reporter = new ProgressReporter(out);
  const vitest = await createVitest(
    'test',
    { config: false, include: FIXTURES, watch: false, pool: 'threads', reporters: [reporter] },
    { logLevel: 'silent' },
    { stdout: new PassThrough().resume(), stderr: new PassThrough().resume() },
  );
  try {
    await vitest.start();
  } finally {
    await vitest.close();
  }
  return { reporter, printed };
}

describe('ProgressReporter', () => {
  it("fails the tests of a suite or file whose set-up failed, naming the cause, and counts every hook's error", async () => {
    const { reporter, printed } = await report();
    const byName = Object.fromEntries(reporter.results.map((result) => [result.name, result]));
    expect(byName['moves a dataset']).toMatchObject({
      suite: 'cluster',
      state: 'failed',
      error: 'not run: the set-up failed: Error: both agents did not report their nodes',
    });
    expect(byName['acme: acceptance > reads the data back']).toMatchObject({
      state: 'failed',
      error: 'not run: the set-up failed: Error: the control service did not answer',
    });
    // A test left out of the run, or that skipped itself with a reason, stays skipped; one that ran stays passed.
    expect(byName['is left out']).toMatchObject({ state: 'skipped' });
    expect(byName['needs a second node']).toMatchObject({ state: 'skipped', note: 'no second node' });
    expect(byName['moves a filesystem']).toMatchObject({ state: 'passed' });
    expect([...reporter.errors].sort()).toEqual([
      'Error: the control service did not answer',
      'acceptance › acme: acceptance: Error: agent a did not stop',
      'cluster › acme: cluster: Error: both agents did not report their nodes',
    ]);
    expect(printed).toContain('✗ acceptance › acme: acceptance: Error: agent a did not stop');
  });
});
