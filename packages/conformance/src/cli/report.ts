import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { z } from 'zod';
import { SUITES } from '../certification/settings.js';
import { methodTableMarkdown, methodTableSchema } from './call-table.js';

/** Bumped on every change of report.json's shape that a reader could notice. */
export const REPORT_SCHEMA_VERSION = 1;

const testResult = z.object({
  suite: z.enum(SUITES),
  name: z.string().describe('The test title, which reads like the contract it checks.'),
  fullName: z.string(),
  group: z.string().optional().describe('The groups the test is in, as `backend > createVolume`.'),
  state: z.enum(['passed', 'failed', 'skipped']),
  durationMs: z.number(),
  error: z.string().optional().describe('First error of a failed test.'),
  diff: z
    .string()
    .optional()
    .describe(
      'For a failed comparison: expected (-) against received (+), trimmed to the lines that differ.',
    ),
  note: z.string().optional().describe('Why a test was skipped.'),
});

const suiteSummary = z.object({
  suite: z.enum(SUITES),
  passed: z.int(),
  failed: z.int(),
  skipped: z.int(),
  durationMs: z.number(),
});

/** report.json: one certification run, for machines (the nightly ledger, CI) and people alike. */
export const reportSchema = z.object({
  schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
  tool: z.object({ name: z.literal('flocker-certify'), version: z.string() }),
  verdict: z.enum(['certified', 'failed', 'cancelled']),
  startedAt: z.iso.datetime(),
  durationMs: z.number(),
  config: z.string().describe('The agent.yml certified, or "(embedded loopback default)".'),
  backend: z.object({
    name: z.string(),
    package: z.string().optional(),
    version: z.string().optional(),
    needsClusterId: z.boolean(),
    capabilities: z.record(z.string(), z.boolean()),
  }),
  clusterId: z.string(),
  suites: z.array(suiteSummary),
  tests: z.array(testResult),
  methods: methodTableSchema,
  errors: z
    .array(z.string())
    .optional()
    .describe(
      "Errors outside any test (a suite's set-up or clean-up, a test file that did not load); any fails the run.",
    ),
  sweep: z
    .object({ apis: z.int(), volumesRemoved: z.int(), errors: z.array(z.string()) })
    .describe('What the safety sweep after the run found and removed; volumes here were leaked by the run.'),
  files: z.object({ json: z.string(), markdown: z.string(), junit: z.string(), log: z.string() }),
});

export type Report = z.infer<typeof reportSchema>;
export type TestResult = z.infer<typeof testResult>;
export type SuiteSummary = z.infer<typeof suiteSummary>;

export function summarize(tests: readonly TestResult[]): SuiteSummary[] {
  return SUITES.flatMap((suite) => {
    const mine = tests.filter((test) => test.suite === suite);
    if (mine.length === 0) return [];
    const count = (state: TestResult['state']) => mine.filter((test) => test.state === state).length;
    return [
      {
        suite,
        passed: count('passed'),
        failed: count('failed'),
        skipped: count('skipped'),
        durationMs: mine.reduce((sum, test) => sum + test.durationMs, 0),
      },
    ];
  });
}

/** The summary table, as printed at the end of a run and in report.md. */
export function summaryTable(suites: readonly SuiteSummary[]): string[] {
  const rows = [['suite', 'passed', 'failed', 'skipped', 'time']];
  for (const s of suites) {
    rows.push([
      s.suite,
      `${s.passed}`,
      `${s.failed}`,
      `${s.skipped}`,
      `${(s.durationMs / 1000).toFixed(1)} s`,
    ]);
  }
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join('  '),
  );
}

export function capabilityList(capabilities: Readonly<Record<string, boolean>>): string {
  const entries = Object.entries(capabilities);
  if (entries.length === 0) return '(unknown: no API was made)';
  return entries.map(([name, on]) => `${name} ${on ? 'yes' : 'no'}`).join(', ');
}

/** report.md: a summary fit to paste into a README or a pull request. */
export function renderMarkdown(report: Report): string {
  const verdict = { certified: '✅ certified', failed: '❌ not certified', cancelled: '⚠️ cancelled' }[
    report.verdict
  ];
  const backend = report.backend;
  const lines = [
    `# flocker-certify: ${backend.name} — ${verdict}`,
    '',
    `- Backend: \`${backend.name}\`${backend.package ? ` (${backend.package}${backend.version ? ` ${backend.version}` : ''})` : ''}`,
    `- Capabilities: ${capabilityList(backend.capabilities)}`,
    `- Configuration: ${report.config}`,
    `- Run: ${report.startedAt}, ${(report.durationMs / 1000).toFixed(1)} s, flocker-certify ${report.tool.version}`,
    '',
    '| suite | passed | failed | skipped | time |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...report.suites.map(
      (s) =>
        `| ${s.suite} | ${s.passed} | ${s.failed} | ${s.skipped} | ${(s.durationMs / 1000).toFixed(1)} s |`,
    ),
  ];
  const failed = report.tests.filter((test) => test.state === 'failed');
  if (failed.length > 0) {
    lines.push('', '## Failed', '');
    for (const test of failed) {
      lines.push(`- **${test.fullName}**: ${firstLine(test.error ?? '')}`);
      if (test.diff !== undefined)
        lines.push('', '  ```diff', ...indent(test.diff, '  ').split('\n'), '  ```', '');
    }
  }
  if (report.errors !== undefined && report.errors.length > 0) {
    lines.push('', '## Errors outside tests', '', ...report.errors.map((error) => `- ${firstLine(error)}`));
  }
  const skipped = report.tests.filter((test) => test.state === 'skipped');
  if (skipped.length > 0) {
    lines.push('', '## Skipped', '');
    for (const test of skipped) lines.push(`- ${test.fullName}${test.note ? `: ${test.note}` : ''}`);
  }
  lines.push(...methodTableMarkdown(report.methods));
  if (report.sweep.volumesRemoved > 0) {
    lines.push('', `The sweep after the run removed ${report.sweep.volumesRemoved} leaked volume(s).`);
  }
  return `${lines.join('\n')}\n`;
}

export async function writeReports(dir: string, report: Report): Promise<void> {
  await writeFile(join(dir, 'report.json'), `${JSON.stringify(reportSchema.parse(report), null, 2)}\n`);
  await writeFile(join(dir, 'report.md'), renderMarkdown(report));
  await writeFile(join(dir, 'junit.xml'), renderJunit(report));
}

/**
 * junit.xml: a `testsuite` per suite (conformance, acceptance, cluster) and, as each test's `classname`, the
 * groups it is in; a failure carries the whole error and the diff.
 */
export function renderJunit(report: Report): string {
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="flocker-certify: ${xml(report.backend.name)}" tests="${report.tests.length}" failures="${count(report.tests, 'failed')}" time="${seconds(report.durationMs)}">`,
  ];
  for (const suite of report.suites) {
    const tests = report.tests.filter((test) => test.suite === suite.suite);
    lines.push(
      `  <testsuite name="${suite.suite}" tests="${tests.length}" failures="${suite.failed}" skipped="${suite.skipped}" time="${seconds(suite.durationMs)}">`,
    );
    for (const test of tests) {
      const open = `    <testcase classname="${xml(test.group ?? suite.suite)}" name="${xml(test.name)}" time="${seconds(test.durationMs)}"`;
      if (test.state === 'passed') {
        lines.push(`${open}/>`);
      } else if (test.state === 'skipped') {
        lines.push(`${open}>`, `      <skipped message="${xml(test.note ?? '')}"/>`, '    </testcase>');
      } else {
        const body = [test.error ?? '', test.diff ?? ''].filter(Boolean).join('\n\n');
        lines.push(
          `${open}>`,
          `      <failure message="${xml(firstLine(test.error ?? ''))}">${xml(body)}</failure>`,
          '    </testcase>',
        );
      }
    }
    lines.push('  </testsuite>');
  }
  const errors = report.errors ?? [];
  if (errors.length > 0) {
    lines.push(`  <testsuite name="outside tests" tests="${errors.length}" failures="${errors.length}">`);
    for (const error of errors) {
      lines.push(
        `    <testcase classname="outside tests" name="${xml(firstLine(error))}">`,
        `      <failure message="${xml(firstLine(error))}">${xml(error)}</failure>`,
        '    </testcase>',
      );
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>', '');
  return lines.join('\n');
}

/**
 * A comparison's diff without colour, cut to the lines that differ with one line of context around each run
 * of them, at most `maxLines` lines: what a reader needs to see under a failed test.
 */
export function trimDiff(diff: string, maxLines = 24): string {
  const lines = stripVTControlCharacters(diff).replace(/\s+$/, '').split('\n');
  const changed = (line: string | undefined): boolean =>
    /^[-+] /.test(line ?? '') || /^[-+]$/.test(line ?? '');
  // A line diff starts with its legend (`- Expected` / `+ Received`); another comparison (`- Expected:` and the
  // whole value, then `+ Received:` and the other) is kept whole, up to the limit.
  const legend = lines.slice(0, 2);
  if (legend[0] !== '- Expected' || legend[1] !== '+ Received') return cut(lines, maxLines);
  const body = lines.slice(legend.length).filter((line, index) => index > 0 || line.trim() !== '');
  const keep = body.map(
    (line, index) => changed(line) || changed(body[index - 1]) || changed(body[index + 1]),
  );
  const kept: string[] = [...legend];
  body.forEach((line, index) => {
    if (keep[index]) kept.push(line);
    else if (kept.at(-1) !== '  …') kept.push('  …');
  });
  return cut(kept, maxLines);
}

function cut(lines: readonly string[], maxLines: number): string {
  if (lines.length <= maxLines) return lines.join('\n');
  return [...lines.slice(0, maxLines - 1), `  … ${lines.length - maxLines + 1} more lines`].join('\n');
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line) => `${prefix}${line}`)
    .join('\n');
}

function count(tests: readonly TestResult[], state: TestResult['state']): number {
  return tests.filter((test) => test.state === state).length;
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function xml(text: string): string {
  return stripVTControlCharacters(text)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}

export function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}
