import { readFile } from 'node:fs/promises';
import { UNCODED } from '@flockerjs/core-interface';
import { z } from 'zod';
import type { LoggedCall } from '../certification/call-log.js';

const backendApiRow = z.object({
  api: z.string().describe('`ec2`, `cinder`, `nova`.'),
  operation: z.string().describe('The EC2 action, or the request as method and path template.'),
  calls: z.int(),
  retries: z.int().describe('Tries beyond the first.'),
  throttles: z.int().describe('Tries answered with a throttling reply.'),
});

const methodRow = z.object({
  method: z.string().describe('The contract member.'),
  calls: z.int(),
  errors: z.int(),
  errorCodes: z.record(z.string(), z.int()).describe('Failed calls by error code (`UNCODED` without one).'),
  p50Ms: z.number(),
  p95Ms: z.number(),
  maxMs: z.number(),
  backendApi: z.array(backendApiRow).describe('The backend API calls made inside this member, by operation.'),
});

/** report.json's `methods`: every contract member the suites called, with latency and backend API calls. */
export const methodTableSchema = z
  .array(methodRow)
  .describe('Per contract member: calls, latency percentiles, errors, and the backend API calls it made.');

export type MethodRow = z.infer<typeof methodRow>;

/** The call log the suites wrote (see `callLog`); empty when there is none. */
export async function readCallLog(file: string): Promise<LoggedCall[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as LoggedCall);
}

/** The per-method table of `calls`, members by name, each one's operations by calls made. */
export function methodTable(calls: readonly LoggedCall[]): MethodRow[] {
  const rows = new Map<string, { durations: number[]; errorCodes: Record<string, number> }>();
  const apis = new Map<string, Map<string, z.infer<typeof backendApiRow>>>();
  for (const call of calls) {
    if (call.kind === 'driver') {
      const row = rows.get(call.method) ?? { durations: [], errorCodes: {} };
      rows.set(call.method, row);
      row.durations.push(call.durationMs);
      if (call.outcome === 'error') {
        const code = call.code ?? UNCODED;
        row.errorCodes[code] = (row.errorCodes[code] ?? 0) + 1;
      }
    } else {
      const method = call.method ?? '(outside any method)';
      const operations = apis.get(method) ?? new Map();
      apis.set(method, operations);
      const key = `${call.api} ${call.operation}`;
      const entry = operations.get(key) ?? {
        api: call.api,
        operation: call.operation,
        calls: 0,
        retries: 0,
        throttles: 0,
      };
      operations.set(key, {
        ...entry,
        calls: entry.calls + 1,
        retries: entry.retries + call.attempts - 1,
        throttles: entry.throttles + call.throttles,
      });
    }
  }
  const methods = [...new Set([...rows.keys(), ...apis.keys()])].sort();
  return methods.map((method) => {
    const { durations = [], errorCodes = {} } = rows.get(method) ?? {};
    const sorted = [...durations].sort((a, b) => a - b);
    return {
      method,
      calls: sorted.length,
      errors: Object.values(errorCodes).reduce((sum, n) => sum + n, 0),
      errorCodes,
      p50Ms: percentile(sorted, 0.5),
      p95Ms: percentile(sorted, 0.95),
      maxMs: round(sorted.at(-1) ?? 0),
      backendApi: [...(apis.get(method)?.values() ?? [])].sort((a, b) => b.calls - a.calls),
    };
  });
}

/** The table as report.md shows it, under its own heading; nothing when no call was made. */
export function methodTableMarkdown(rows: readonly MethodRow[]): string[] {
  if (rows.length === 0) return [];
  return [
    '',
    '## Calls',
    '',
    '| method | calls | p50 | p95 | max | errors | backend API calls |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
    ...rows.map((row) => {
      const errors = Object.entries(row.errorCodes).map(([code, n]) => `${code} ${n}`);
      const api = row.backendApi.map((op) => {
        const extra = [
          op.retries > 0 ? `${op.retries} retried` : '',
          op.throttles > 0 ? `${op.throttles} throttled` : '',
        ]
          .filter(Boolean)
          .join(', ');
        return `${op.api} \`${op.operation}\` ${op.calls}${extra === '' ? '' : ` (${extra})`}`;
      });
      return `| ${row.method} | ${row.calls} | ${duration(row.p50Ms)} | ${duration(row.p95Ms)} | ${duration(row.maxMs)} | ${row.errors}${errors.length > 0 ? ` (${errors.join(', ')})` : ''} | ${api.join('<br>') || '—'} |`;
    }),
  ];
}

/** Nearest-rank percentile of ascending `sorted`. */
function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return round(sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? 0);
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
