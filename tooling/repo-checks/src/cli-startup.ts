import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readPublishedPackages } from './workspace.js';

/**
 * Packages a command must not load before it needs them: the test runner, the cloud SDKs, the HTTP server and
 * the metrics client. Each costs a noticeable part of a second to load.
 */
export const HEAVY_PACKAGES = [
  'vitest',
  'vite',
  '@aws-sdk/client-ec2',
  '@aws-sdk/ec2-metadata-service',
  'pkgcloud',
  'fastify',
  'prom-client',
] as const;

/** A command a published package installs (its `bin`), as built in the workspace. */
export interface PublishedCommand {
  readonly name: string;
  readonly packageName: string;
  /** Absolute path of the built script. */
  readonly path: string;
}

/** Every published package's commands, by name. */
export async function publishedCommands(root: string): Promise<PublishedCommand[]> {
  const commands: PublishedCommand[] = [];
  for (const pkg of await readPublishedPackages(root)) {
    const bin = pkg.manifest.bin;
    const entries =
      typeof bin === 'string'
        ? [[pkg.manifest.name.replace(/^@[^/]+\//, ''), bin] as const]
        : Object.entries((bin ?? {}) as Record<string, string>);
    for (const [name, path] of entries) {
      commands.push({ name, packageName: pkg.manifest.name, path: join(root, pkg.dir, path) });
    }
  }
  return commands.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

const RECORDER = fileURLToPath(new URL('./record-imports.mjs', import.meta.url));

export interface RecordedRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** URLs of every module imported, in order. */
  readonly imports: readonly string[];
}

/** Runs `node <nodeArgs>` and records every module it imports (see record-imports.mjs). */
export async function recordImports(nodeArgs: readonly string[], cwd?: string): Promise<RecordedRun> {
  const dir = await mkdtemp(join(tmpdir(), 'flocker-imports-'));
  const log = join(dir, 'imports.txt');
  try {
    const child = spawn(process.execPath, ['--import', RECORDER, ...nodeArgs], {
      env: { ...process.env, FLOCKER_RECORD_IMPORTS: log },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(cwd === undefined ? {} : { cwd }),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    const text = await readFile(log, 'utf8').catch(() => '');
    return { code, stdout, stderr, imports: text.split('\n').filter(Boolean) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The {@link HEAVY_PACKAGES} among `imports` (module URLs or paths), each once. */
export function heavyImports(imports: readonly string[]): string[] {
  return HEAVY_PACKAGES.filter((name) => imports.some((url) => url.includes(`/node_modules/${name}/`)));
}

/** One benchmark figure, as `pnpm bench` collects them. */
export interface BenchFigure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
}

export interface StartupOptions {
  /** Runs of each command. @default 20 */
  readonly runs?: number;
}

/**
 * Start-up of every published command's `--help` against `node -e 0`, side by side: the commands run
 * interleaved (one run of each in turn, `runs` times), so the machine's load falls on all alike. Figures: the
 * baseline's median in ms (`startup.node-e-0`), and each command's median as a multiple of it
 * (`startup.<command>.help`, unit `x node -e 0`).
 */
export async function measureStartup(root: string, options: StartupOptions = {}): Promise<BenchFigure[]> {
  const runs = options.runs ?? 20;
  const commands = await publishedCommands(root);
  const subjects = [
    { name: 'node-e-0', args: ['-e', '0'] },
    ...commands.map((command) => ({ name: command.name, args: [command.path, '--help'] })),
  ];
  const times = new Map(subjects.map((subject) => [subject.name, [] as number[]]));
  for (let run = 0; run < runs; run += 1) {
    for (const subject of subjects) {
      const started = process.hrtime.bigint();
      const result = spawnSync(process.execPath, subject.args, { stdio: ['ignore', 'ignore', 'pipe'] });
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (result.status !== 0) {
        throw new Error(
          `${subject.name} ${subject.args.slice(1).join(' ')} exited ${result.status}: ${result.stderr}`,
        );
      }
      times.get(subject.name)?.push(ms);
    }
  }
  const baseline = median(times.get('node-e-0') ?? []);
  return [
    { name: 'startup.node-e-0', value: round(baseline), unit: 'ms' },
    ...commands.map((command) => ({
      name: `startup.${command.name}.help`,
      value: round(median(times.get(command.name) ?? []) / baseline),
      unit: 'x node -e 0',
    })),
  ];
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
