import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callLog } from '../../src/certification/call-log.js';
import {
  methodTable,
  methodTableMarkdown,
  methodTableSchema,
  readCallLog,
} from '../../src/cli/call-table.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flockerjs-calls-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Logs the calls of a run that created three volumes on EC2 (one failing) and listed once. */
async function loggedRun() {
  const file = join(dir, 'calls.jsonl');
  const metrics = callLog(file);
  for (const [durationMs, code] of [
    [1200, undefined],
    [100, undefined],
    [3000, 'TIMEOUT'],
  ] as const) {
    metrics.backendApiCall({
      api: 'ec2',
      operation: 'CreateVolume',
      method: 'createVolume',
      attempts: 1,
      throttles: 0,
      outcome: 'success',
      durationMs: 50,
    });
    metrics.backendApiCall({
      api: 'ec2',
      operation: 'DescribeVolumes',
      method: 'createVolume',
      attempts: 3,
      throttles: 2,
      outcome: 'success',
      durationMs: 50,
    });
    metrics.driverCall({
      backend: 'aws',
      method: 'createVolume',
      durationMs,
      ...(code === undefined ? { outcome: 'success' as const } : { outcome: 'error' as const, code }),
    });
  }
  metrics.driverCall({ backend: 'aws', method: 'listVolumes', durationMs: 40, outcome: 'success' });
  return readCallLog(file);
}

describe('the per-method call table', () => {
  it('gives each member its calls, nearest-rank p50 and p95, max, errors by code, and backend API calls', async () => {
    const table = methodTable(await loggedRun());
    expect(table).toEqual([
      {
        method: 'createVolume',
        calls: 3,
        errors: 1,
        errorCodes: { TIMEOUT: 1 },
        p50Ms: 1200,
        p95Ms: 3000,
        maxMs: 3000,
        backendApi: [
          { api: 'ec2', operation: 'CreateVolume', calls: 3, retries: 0, throttles: 0 },
          { api: 'ec2', operation: 'DescribeVolumes', calls: 3, retries: 6, throttles: 6 },
        ],
      },
      {
        method: 'listVolumes',
        calls: 1,
        errors: 0,
        errorCodes: {},
        p50Ms: 40,
        p95Ms: 40,
        maxMs: 40,
        backendApi: [],
      },
    ]);
    expect(methodTableSchema.parse(table)).toEqual(table);
  });

  it('renders as a Markdown table under "## Calls"', async () => {
    const lines = methodTableMarkdown(methodTable(await loggedRun()));
    expect(lines).toEqual([
      '',
      '## Calls',
      '',
      '| method | calls | p50 | p95 | max | errors | backend API calls |',
      '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
      '| createVolume | 3 | 1.2 s | 3.0 s | 3.0 s | 1 (TIMEOUT 1) | ec2 `CreateVolume` 3<br>ec2 `DescribeVolumes` 3 (6 retried, 6 throttled) |',
      '| listVolumes | 1 | 40 ms | 40 ms | 40 ms | 0 | — |',
    ]);
  });

  it('is empty, and not shown, when no call was logged', async () => {
    expect(methodTable(await readCallLog(join(dir, 'missing.jsonl')))).toEqual([]);
    expect(methodTableMarkdown([])).toEqual([]);
  });
});
