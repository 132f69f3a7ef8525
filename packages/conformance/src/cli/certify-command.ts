import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { hasCode, isUuid } from '@flockerjs/core-interface';
import { createVitest, type Vitest } from 'vitest/node';
import type { CertifySettings, SuiteName } from '../certification/settings.js';
import {
  isolatedEntry,
  loadTarget,
  type ManifestEntry,
  recordInManifest,
  type Target,
  testClusterId,
} from '../certification/target.js';
import { detachDestroyVolumes } from '../cleanup.js';
import { methodTable, readCallLog } from './call-table.js';
import { ProgressReporter } from './progress-reporter.js';
import { capabilityList, firstLine, type Report, summarize, summaryTable, writeReports } from './report.js';
import { configError, UsageError } from './usage-error.js';

export interface CertifyOptions {
  readonly config?: string | undefined;
  readonly peerConfig?: string | undefined;
  readonly reportDir: string;
  readonly only?: SuiteName | undefined;
  readonly grep?: string | undefined;
  readonly timeoutSeconds?: number | undefined;
  readonly clusterId?: string | undefined;
  readonly json: boolean;
}

const SUITE_MODULE = fileURLToPath(new URL('../certification/suite.js', import.meta.url));
const EMBEDDED = '(embedded loopback default)';

/** Runs the suites on the backend an agent.yml names and writes the reports. Resolves the exit code. */
export async function certify(options: CertifyOptions): Promise<number> {
  // Progress goes to stderr when stdout carries the JSON report.
  const out = options.json ? process.stderr : process.stdout;
  if (options.clusterId !== undefined && !isUuid(options.clusterId)) {
    throw new UsageError(`--cluster-id: ${JSON.stringify(options.clusterId)} is not a lowercase UUID`);
  }
  const work = await mkdtemp(join(tmpdir(), 'flocker-certify-'));
  try {
    const configPath = options.config === undefined ? await embeddedConfig(work) : resolve(options.config);
    const peerConfigPath = options.peerConfig === undefined ? undefined : resolve(options.peerConfig);
    // The only place the run reads agent.yml and resolves the backend; the vitest worker gets the result.
    const target = await loadTarget(configPath, import.meta.url, peerConfigPath).catch((error: unknown) => {
      if (hasCode(error, 'INVALID_CONFIG') || hasCode(error, 'PLUGIN_LOAD'))
        throw configError((error as Error).message);
      throw error;
    });
    const { backend } = target.agent;
    const reportDir = resolve(options.reportDir);
    await mkdir(reportDir, { recursive: true }).catch((error: NodeJS.ErrnoException) => {
      throw configError(`--report-dir: cannot create ${reportDir}: ${error.code ?? error.message}`);
    });
    const settings: CertifySettings = {
      target: target.data,
      clusterId: options.clusterId ?? testClusterId(),
      scratchDir: join(work, 'scratch'),
      manifestFile: join(work, 'manifest.jsonl'),
      logFile: join(reportDir, 'run.log.jsonl'),
      callsFile: join(work, 'calls.jsonl'),
      only: options.only,
    };
    await writeFile(settings.logFile, '');
    await writeFile(settings.manifestFile, '');
    await preflight(target, settings);

    out.write(`flocker-certify: certifying backend ${backend.name} from ${options.config ?? EMBEDDED}\n`);
    const startedAt = new Date();
    const progress = new ProgressReporter(out);
    const cancelled = await runSuites(settings, options, progress, work);
    const manifest = await readManifest(settings.manifestFile);
    const sweep = await sweepManifest(target, manifest);
    const tests = progress.results;
    const suites = summarize(tests);
    const failed =
      tests.some((test) => test.state === 'failed') || progress.errors.length > 0 || tests.length === 0;
    const pkg = await backendPackage(target.agent.moduleUrl);
    const report: Report = {
      schemaVersion: 1,
      tool: { name: 'flocker-certify', version: await ownVersion() },
      verdict: cancelled ? 'cancelled' : failed ? 'failed' : 'certified',
      startedAt: startedAt.toISOString(),
      durationMs: Date.now() - startedAt.getTime(),
      config: options.config === undefined ? EMBEDDED : configPath,
      backend: {
        name: backend.name,
        ...pkg,
        needsClusterId: backend.needsClusterId,
        capabilities: progress.capabilities ?? {},
      },
      clusterId: settings.clusterId,
      suites,
      tests,
      methods: methodTable(await readCallLog(settings.callsFile)),
      ...(progress.errors.length === 0 ? {} : { errors: [...progress.errors] }),
      sweep,
      files: {
        json: join(reportDir, 'report.json'),
        markdown: join(reportDir, 'report.md'),
        junit: join(reportDir, 'junit.xml'),
        log: settings.logFile,
      },
    };
    await writeReports(reportDir, report);
    printSummary(out, report);
    if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return cancelled ? 130 : report.verdict === 'certified' ? 0 : 1;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Makes one API before any test runs, so that a backend that cannot work here at all (no privileges, no
 * credentials, an unreachable endpoint) is one clear message and exit code 2, not a wall of failed tests.
 */
async function preflight(target: Target, settings: CertifySettings): Promise<void> {
  const entry = await isolatedEntry(target, settings.scratchDir);
  await recordInManifest(settings.manifestFile, entry);
  try {
    await (await target.open(entry)).computeInstanceId();
  } catch (error) {
    throw configError(`backend ${target.agent.backend.name} cannot start here: ${(error as Error).message}`);
  }
}

/** Runs the suite module in vitest; Ctrl-C cancels after the running test's cleanup. Resolves "cancelled". */
async function runSuites(
  settings: CertifySettings,
  options: CertifyOptions,
  progress: ProgressReporter,
  work: string,
): Promise<boolean> {
  let cancelled = false;
  let vitest: Vitest | undefined;
  const onInterrupt = (): void => {
    if (cancelled) process.exit(130);
    cancelled = true;
    process.stderr.write(
      '\nflocker-certify: interrupted; finishing the current test and its cleanup (Ctrl-C again to abandon)\n',
    );
    void vitest?.cancelCurrentRun('keyboard-input');
  };
  try {
    vitest = await createVitest(
      'test',
      {
        config: false,
        root: dirname(SUITE_MODULE),
        include: [SUITE_MODULE],
        exclude: [],
        watch: false,
        // Threads, not forks: a terminal's Ctrl-C reaches this process only, so cleanup can finish.
        pool: 'threads',
        fileParallelism: false,
        // junit.xml is written with the other reports, from the same results (renderJunit).
        reporters: [progress],
        provide: { 'flockerjs:certify': settings },
        ...(options.grep === undefined ? {} : { testNamePattern: options.grep }),
        ...(options.timeoutSeconds === undefined ? {} : { testTimeout: options.timeoutSeconds * 1000 }),
      },
      { cacheDir: join(work, 'vite-cache'), logLevel: 'silent', server: { fs: { strict: false } } },
      // Vitest's own chatter ("report written to") stays out of our output; its errors still reach stderr.
      { stdout: new PassThrough().resume(), stderr: process.stderr },
    );
    // Vitest exits the process on SIGINT; ours lets the running test clean up and the reports be written.
    for (const listener of process.listeners('SIGINT')) process.off('SIGINT', listener);
    process.on('SIGINT', onInterrupt);
    await vitest.start();
  } finally {
    process.off('SIGINT', onInterrupt);
    await vitest?.close();
  }
  return cancelled;
}

/**
 * Opens every API the run made again and removes whatever volumes are left: a safety net for interrupted or
 * crashed runs. Each of these APIs is a test cluster's or a scratch backend's, so nothing else is touched.
 */
async function sweepManifest(target: Target, entries: readonly ManifestEntry[]): Promise<Report['sweep']> {
  const unique = new Map(
    entries.map(({ clusterId, scratchDir }) => [`${clusterId}|${scratchDir}`, { clusterId, scratchDir }]),
  );
  let volumesRemoved = 0;
  const errors: string[] = [];
  for (const entry of unique.values()) {
    try {
      const api = await target.open(entry);
      const before = (await api.listVolumes()).length;
      const { remaining, errors: failures } = await detachDestroyVolumes(api, { rounds: 3, intervalMs: 500 });
      volumesRemoved += before - remaining.length;
      errors.push(...failures.map((error) => firstLine(String((error as Error).message ?? error))));
      if (remaining.length > 0)
        errors.push(`still left: ${remaining.map((v) => v.blockDeviceId).join(', ')}`);
    } catch (error) {
      errors.push(firstLine(String((error as Error).message ?? error)));
    }
  }
  return { apis: unique.size, volumesRemoved, errors };
}

async function readManifest(file: string): Promise<ManifestEntry[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ManifestEntry);
}

async function embeddedConfig(work: string): Promise<string> {
  if (process.getuid?.() !== 0) {
    throw configError(
      'the default certification runs the loopback backend, which needs root for its loop devices (losetup) ' +
        'and the @flockerjs/driver-loopback package; run as root, or pass --config with your backend',
    );
  }
  const path = join(work, 'agent.yml');
  const root = join(work, 'loopback-root');
  await writeFile(
    path,
    [
      'version: 1',
      'control-service:',
      '  hostname: localhost',
      'dataset:',
      '  backend: loopback',
      `  root_path: ${root}`,
      '',
    ].join('\n'),
  );
  return path;
}

/** The npm package the backend came from, found from its module, for the report. */
async function backendPackage(moduleUrl: string): Promise<{ package?: string; version?: string }> {
  if (!moduleUrl.startsWith('file:')) return {};
  for (let dir = dirname(fileURLToPath(moduleUrl)); dir !== dirname(dir); dir = dirname(dir)) {
    const text = await readFile(join(dir, 'package.json'), 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const pkg = JSON.parse(text) as { name?: string; version?: string };
    if (pkg.name === undefined) continue;
    return { package: pkg.name, ...(pkg.version === undefined ? {} : { version: pkg.version }) };
  }
  return {};
}

async function ownVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

function printSummary(out: NodeJS.WritableStream, report: Report): void {
  const { backend } = report;
  const lines = [
    '',
    ...summaryTable(report.suites),
    '',
    `backend:      ${backend.name}${backend.package ? ` (${backend.package} ${backend.version ?? ''})`.trimEnd() : ''}`,
    `capabilities: ${capabilityList(backend.capabilities)}`,
    `reports:      ${dirname(report.files.json)}/{report.json,report.md,junit.xml,run.log.jsonl}`,
  ];
  if (report.sweep.volumesRemoved > 0)
    lines.push(`sweep:        removed ${report.sweep.volumesRemoved} leaked volume(s)`);
  lines.push(`verdict:      ${report.verdict.toUpperCase()}`, '');
  out.write(lines.join('\n'));
}
