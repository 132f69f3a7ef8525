// A scratch world for agent tests on real loop devices: one loopback root shared by nodes, a mount root and an
// agent.yml per node, a desired-state file, the built CLI, and a cleanup that removes only what this world made.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BlockDeviceVolume, execCommand, waitFor } from '@flockerjs/core-interface';
import { LoopbackDriver } from '@flockerjs/driver-loopback';
import { listLoopDevices, processGroupAlive, readMountInfo, releaseUnder } from '@flockerjs/linux-block';
import { stringify } from 'yaml';
import type { DesiredFileInput } from '../src/index.js';

export const CLI = join(import.meta.dirname, '..', 'dist', 'cli', 'main.js');
export const MIB = 1024 * 1024;
export const skipUnlessRoot: string | false =
  process.getuid?.() === 0 ? false : 'the agent attaches loop devices, formats and mounts them: root only';

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface World {
  readonly dir: string;
  readonly root: string;
  readonly desired: string;
  config(node: string): string;
  mountRoot(node: string): string;
  mountPath(node: string, datasetId: string): string;
  /** Replaces the desired-state file as editors do (write a new file, rename it over the old one). */
  setDesired(file: DesiredFileInput): Promise<void>;
  /** Runs the built CLI as `node`; `--once` unless `extra` says otherwise. */
  run(node: string, options?: { env?: Record<string, string>; args?: string[] }): Promise<RunResult>;
  /** Starts the CLI and returns the child, for kills and loop mode. */
  start(node: string, options?: { env?: Record<string, string>; args?: string[] }): ChildProcess;
  /** The volumes of the shared root, as node-a's driver lists them. */
  volumes(): Promise<readonly BlockDeviceVolume[]>;
  /** Loop devices backed by files of this world. */
  loopDevices(): Promise<string[]>;
  /** Mount points under this world. */
  mounts(): Promise<string[]>;
  cleanup(): Promise<void>;
}

export interface WorldOptions {
  readonly logToStderr?: boolean;
  /** The nodes, by the id their backend reports. @default node-a and node-b */
  readonly nodes?: readonly string[];
  /** A node's agent.yml `dataset` section. @default loopback over the world's root */
  readonly dataset?: (node: string) => Record<string, unknown>;
}

export async function makeWorld(prefix = 'agent-', options: WorldOptions = {}): Promise<World> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const root = join(dir, 'root');
  await mkdir(root);
  const desired = join(dir, 'desired.yml');
  await writeFile(desired, 'datasets: []\n');
  const config = (node: string): string => join(dir, `${node}.yml`);
  const mountRoot = (node: string): string => join(dir, 'mnt', node);
  const children = new Set<ChildProcess>();
  const written = new Set<string>();
  const configFor = async (node: string): Promise<string> => {
    if (!written.has(node)) {
      await writeFile(
        config(node),
        stringify({
          version: 1,
          'control-service': { hostname: 'localhost' },
          dataset: options.dataset?.(node) ?? {
            backend: 'loopback',
            root_path: root,
            compute_instance_id: node,
          },
          logging: options.logToStderr ? { level: 'info' } : { level: 'info', file: `${node}.log.jsonl` },
        }),
      );
      written.add(node);
    }
    return config(node);
  };
  const argv = async (node: string, args: string[] | undefined): Promise<string[]> => [
    CLI,
    '--config',
    await configFor(node),
    '--desired',
    desired,
    '--mount-root',
    mountRoot(node),
    ...(args ?? ['--once']),
  ];
  const startChild = (args: string[], env: Record<string, string> | undefined): ChildProcess => {
    // Its own process group, so a kill takes its commands with it, as systemd kills a service's cgroup.
    const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, detached: true });
    children.add(child);
    child.on('exit', () => children.delete(child));
    return child;
  };
  const world: World = {
    dir,
    root,
    desired,
    config,
    mountRoot,
    mountPath: (node, datasetId) => join(mountRoot(node), datasetId),
    async setDesired(file) {
      const next = `${desired}.new`;
      await writeFile(next, stringify(file));
      await rename(next, desired);
    },
    async run(node, options = {}) {
      const child = startChild(await argv(node, options.args), options.env);
      return collect(child);
    },
    start(node, options = {}) {
      if (!written.has(node)) throw new TypeError(`no agent.yml for ${node} in this world`);
      return startChild(
        [
          CLI,
          '--config',
          config(node),
          '--desired',
          desired,
          '--mount-root',
          mountRoot(node),
          ...(options.args ?? ['--once']),
        ],
        options.env,
      );
    },
    async volumes() {
      const driver = await LoopbackDriver.open({
        root_path: root,
        compute_instance_id: 'inspector',
        allocation_unit: MIB,
      });
      return driver.listVolumes();
    },
    async loopDevices() {
      return (await listLoopDevices(execCommand))
        .filter((device) => device.backingFile.startsWith(`${dir}/`))
        .map((device) => device.device);
    },
    async mounts() {
      return (await readMountInfo()).map((m) => m.mountPoint).filter((point) => point.startsWith(`${dir}/`));
    },
    async cleanup() {
      // Every step runs even when one fails, and every failure is reported: a leak must fail the test, not hide.
      const errors: unknown[] = [];
      const groups = [...children].flatMap((child) => (child.pid === undefined ? [] : [child.pid]));
      for (const child of children) killGroup(child);
      // Nothing this world started may mount or attach again while its mounts and devices are released.
      await eventually(
        `the agents of ${dir} and their commands to exit`,
        async () => groups.every((pgid) => !processGroupAlive(pgid)),
        30_000,
      ).catch((error: unknown) => errors.push(error));
      errors.push(...(await releaseUnder(execCommand, dir, { remove: true })));
      if (errors.length > 0)
        throw new AggregateError(errors, `cleanup of ${dir}: ${errors.map((e) => String(e)).join('; ')}`);
    },
  };
  for (const node of options.nodes ?? ['node-a', 'node-b']) await configFor(node);
  return world;
}

/** SIGKILLs the child's whole process group (the agent and any command it runs). */
export function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** Waits for the child to exit, collecting its output. */
export function collect(child: ChildProcess): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** A file of pseudo-random content and its checksum, to prove data survives. */
export async function writeData(dir: string, name: string, seed: string): Promise<string> {
  const content = createHash('sha512').update(seed).digest().toString('hex').repeat(200);
  await writeFile(join(dir, name), content);
  return checksum(content);
}

export async function readChecksum(dir: string, name: string): Promise<string> {
  return checksum(await readFile(join(dir, name), 'utf8'));
}

function checksum(content: string): string {
  return createHash('sha256').update(content).digest('hex');
}

/** Waits, bounded for a loaded machine, until `check` holds. */
export async function eventually(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  await waitFor({
    what,
    timeoutMs,
    intervalMs: 100,
    maxIntervalMs: 500,
    retryable: () => true,
    poll: async () =>
      (await check()) ? { done: true, value: undefined } : { done: false, state: 'not yet' },
  });
}
