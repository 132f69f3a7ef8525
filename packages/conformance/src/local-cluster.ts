import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadCredentials } from '@flockerjs/cluster-ca';
import { ControlClient } from '@flockerjs/control-service';
import { waitFor } from '@flockerjs/core-interface';
import { processGroupAlive } from '@flockerjs/linux-block';
import { parse, stringify } from 'yaml';

/** The package the cluster suite runs on each node; installed beside flocker-certify, not a dependency of it. */
export const AGENT_PACKAGE = '@flockerjs/dataset-agent';

/**
 * The path of a package's command, resolved from this package, then from the working directory (where an
 * operator installed the agent beside flocker-certify); undefined when neither has it.
 */
export function findBin(pkg: string, command: string): string | undefined {
  for (const base of [import.meta.url, pathToFileURL(join(process.cwd(), '/')).href]) {
    try {
      const manifestPath = createRequire(base).resolve(`${pkg}/package.json`);
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { bin?: Record<string, string> };
      const bin = manifest.bin?.[command];
      if (bin !== undefined) return resolve(dirname(manifestPath), bin);
    } catch {
      // Not installed where this base looks: try the next.
    }
  }
  return undefined;
}

function binOf(pkg: string, command: string): string {
  const bin = findBin(pkg, command);
  if (bin === undefined)
    throw new Error(`${pkg} is not installed (npm install ${pkg}): its ${command} is needed`);
  return bin;
}

/** Why the cluster suite cannot run here, or undefined when it can. */
export function clusterSuiteUnavailable(): string | undefined {
  return findBin(AGENT_PACKAGE, 'flocker-dataset-agent') === undefined
    ? `the cluster suite runs flocker-dataset-agent on each node: npm install ${AGENT_PACKAGE}`
    : undefined;
}

/** Runs a command to completion; rejects with its stderr when it fails. */
function runNode(script: string, args: readonly string[], cwd: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [script, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolvePromise(out)
        : reject(new Error(`${script} ${args.join(' ')} exited ${code}: ${out}`)),
    );
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePromise(port));
    });
  });
}

/**
 * How long a stopped process has to exit before it and its process group are killed: an agent told to stop
 * finishes the change it is making (an attach, a mkfs), which takes seconds on a loaded machine.
 */
export const STOP_GRACE_MS = 60_000;

/**
 * Groups not yet stopped when this process exits (a second Ctrl-C abandons the teardown, a test runner exits
 * without running hooks) are killed with it: out of the terminal's reach, they would otherwise run on.
 */
const unstopped = new Set<number>();
let lifeline = false;
function killWithThisProcess(pgid: number): void {
  unstopped.add(pgid);
  if (lifeline) return;
  lifeline = true;
  process.once('exit', () => {
    for (const group of unstopped) {
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  });
}

/**
 * A process this cluster started, in a process group of its own: it is signalled by its pid, and whatever it
 * started itself (mount, mkfs, losetup) goes with it when the group is killed. A terminal's Ctrl-C does not reach
 * the group, so an interrupted run can still delete its datasets through the API before stopping it; if this
 * process exits first, the group is killed with it.
 */
class Daemon {
  #child: ChildProcess;
  #log = '';
  #stopped = false;
  readonly exited: Promise<number | null>;

  readonly name: string;
  readonly pid: number;

  constructor(name: string, script: string, args: readonly string[], cwd?: string) {
    this.name = name;
    this.#child = spawn(process.execPath, [script, ...args], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    if (this.#child.pid === undefined)
      throw new Error(`${name} did not start: ${process.execPath} ${script}`);
    this.pid = this.#child.pid;
    killWithThisProcess(this.pid);
    const keep = (chunk: Buffer): void => {
      this.#log = (this.#log + chunk.toString()).slice(-8000);
    };
    this.#child.stdout?.on('data', keep);
    this.#child.stderr?.on('data', keep);
    this.exited = new Promise((resolvePromise) => this.#child.once('exit', (code) => resolvePromise(code)));
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  get log(): string {
    return this.#log;
  }

  /**
   * Sends `signal` to the process (SIGTERM: the agent finishes its running change and exits) and waits up to
   * `graceMs` for it to exit; then kills its whole group, so nothing it started outlives it, and waits until the
   * group is empty.
   * @throws when the group is still there after SIGKILL and a bounded wait.
   */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs: number = STOP_GRACE_MS): Promise<void> {
    // Once its group is empty, its number is never signalled again: another process may come to hold it.
    if (this.#stopped) return;
    if (this.running) this.#child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.exited,
      new Promise((resolvePromise) => {
        timer = setTimeout(resolvePromise, graceMs);
      }),
    ]);
    clearTimeout(timer);
    // Past the grace, or with a command it started still running: SIGKILL whatever of the group is left.
    if (processGroupAlive(this.pid)) {
      try {
        process.kill(-this.pid, 'SIGKILL');
      } catch {
        // Gone between the check and the kill.
      }
    }
    await waitFor({
      what: `the processes of ${this.name} (group ${this.pid}) to exit after SIGKILL`,
      timeoutMs: 30_000,
      intervalMs: 50,
      poll: async () =>
        processGroupAlive(this.pid) ? { done: false, state: this.pid } : { done: true, value: undefined },
    });
    this.#stopped = true;
    unstopped.delete(this.pid);
  }
}

export interface ClusterNode {
  readonly name: 'a' | 'b';
  /** The node UUID from its certificate: what `primary` names. */
  readonly uuid: string;
  readonly mountRoot: string;
  readonly configPath: string;
  /** Stops the agent (SIGTERM, or SIGKILL for a crash) and starts it again. */
  restart(signal?: NodeJS.Signals): Promise<void>;
}

export interface LocalCluster {
  /** A REST API client with the API user's certificate. */
  readonly client: ControlClient;
  /** The cluster's UUID (its CA certificate's OU): what the agents pass to backends that need one. */
  readonly clusterId: string;
  readonly nodes: { readonly a: ClusterNode; readonly b: ClusterNode };
  /** Every process the cluster started, running or not: `control`, `agent a`, `agent b` (again per restart). */
  readonly processes: () => readonly { readonly name: string; readonly pid: number }[];
  /**
   * Stops every process it started, each even when stopping another fails, and closes the client; leaves
   * volumes to whoever deletes the datasets.
   * @throws AggregateError with one error per process that could not be stopped.
   */
  stop(): Promise<void>;
}

/** The `dataset` section of each node's agent.yml (the backend and its keys): two nodes over one storage. */
export interface NodeDatasets {
  readonly a: Readonly<Record<string, unknown>>;
  readonly b: Readonly<Record<string, unknown>>;
}

export interface LocalClusterOptions {
  /** Where certificates, the configuration, agent.yml files and mount roots go. */
  readonly scratchDir: string;
  readonly datasets: NodeDatasets;
  readonly log: (line: string) => void;
  /** How long `stop` lets each process exit before its group is SIGKILLed. @default STOP_GRACE_MS */
  readonly stopGraceMs?: number;
  /**
   * How long the control service and both agents may take to start and report, together: a process start that
   * takes half a second alone takes a minute on a loaded machine. @default START_TIMEOUT_MS
   */
  readonly startTimeoutMs?: number;
  /**
   * The agents' working directory: where an operator installed the backend package the agent.yml files name, so
   * that the agents find it there. @default this process's working directory
   */
  readonly installDir?: string;
}

export const START_TIMEOUT_MS = 300_000;

/** The `dataset` section of an agent.yml file, as written. */
export async function datasetSection(agentYml: string): Promise<Record<string, unknown>> {
  const parsed = parse(await readFile(agentYml, 'utf8')) as { dataset?: Record<string, unknown> } | null;
  if (parsed?.dataset === undefined) throw new Error(`${agentYml}: no dataset section`);
  return parsed.dataset;
}

/**
 * A control service and the agents of nodes A and B, as an operator runs them: certificates from `flocker-ca`,
 * `flocker-control` over mutual TLS, one `flocker-dataset-agent` per node following it.
 */
export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  const { scratchDir, log } = options;
  const deadline = Date.now() + (options.startTimeoutMs ?? START_TIMEOUT_MS);
  const remaining = (): number => Math.max(deadline - Date.now(), 1);
  const ca = binOf('@flockerjs/cluster-ca', 'flocker-ca');
  const caDir = join(scratchDir, 'ca');
  await mkdir(caDir, { recursive: true });
  await runNode(ca, ['initialize', 'flockerjs-demo'], caDir);
  await runNode(ca, ['create-control-certificate', '127.0.0.1'], caDir);
  await runNode(ca, ['create-api-certificate', 'demo'], caDir);

  const controlDir = join(scratchDir, 'control');
  await mkdir(controlDir, { recursive: true });
  await copyFile(join(caDir, 'cluster.crt'), join(controlDir, 'cluster.crt'));
  await rename(join(caDir, 'control-127.0.0.1.crt'), join(controlDir, 'control-service.crt'));
  await rename(join(caDir, 'control-127.0.0.1.key'), join(controlDir, 'control-service.key'));
  const [apiPort, agentPort] = [await freePort(), await freePort()];
  // Everything that may fail before the first process starts comes first: nothing is left to stop then.
  const credentials = await loadCredentials(caDir, { kind: 'user', userName: 'demo' });
  const client = new ControlClient({ url: `https://127.0.0.1:${apiPort}`, credentials });
  const control = new Daemon('control', binOf('@flockerjs/control-service', 'flocker-control'), [
    '--data-path',
    join(controlDir, 'data'),
    '--certificates-directory',
    controlDir,
    '--host',
    '127.0.0.1',
    '--port',
    String(apiPort),
    '--agent-port',
    String(agentPort),
  ]);
  const daemons: Daemon[] = [control];
  const stopAll = async (): Promise<void> => {
    client.close();
    const failed = (
      await Promise.allSettled(daemons.map((daemon) => daemon.stop('SIGTERM', options.stopGraceMs)))
    ).flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
    if (failed.length > 0)
      throw new AggregateError(failed, `${failed.length} cluster processes did not stop`);
  };
  try {
    await waitFor({
      what: 'the control service to answer',
      timeoutMs: remaining(),
      intervalMs: 100,
      poll: async () => {
        if (!control.running) throw new Error(`flocker-control exited: ${control.log}`);
        return client.version().then(
          () => ({ done: true, value: undefined }),
          (error: unknown) => ({ done: false, state: (error as Error).message }),
        );
      },
    });
    log(`control service on port ${apiPort} (agents on ${agentPort}), mutual TLS under a new cluster CA`);

    const agent = binOf('@flockerjs/dataset-agent', 'flocker-dataset-agent');
    const makeNode = async (name: 'a' | 'b'): Promise<ClusterNode> => {
      const before = new Set(await readdir(caDir));
      await runNode(ca, ['create-node-certificate'], caDir);
      const made = (await readdir(caDir)).find((file) => !before.has(file) && file.endsWith('.crt'));
      if (made === undefined) throw new Error('flocker-ca create-node-certificate wrote no certificate');
      const uuid = made.slice(0, -'.crt'.length);
      const nodeDir = join(scratchDir, `node-${name}`);
      const mountRoot = join(scratchDir, `mnt-${name}`);
      await mkdir(nodeDir, { recursive: true });
      await mkdir(mountRoot, { recursive: true, mode: 0o755 });
      await copyFile(join(caDir, 'cluster.crt'), join(nodeDir, 'cluster.crt'));
      await rename(join(caDir, `${uuid}.crt`), join(nodeDir, 'node.crt'));
      await rename(join(caDir, `${uuid}.key`), join(nodeDir, 'node.key'));
      const configPath = join(nodeDir, 'agent.yml');
      await writeFile(
        configPath,
        stringify({
          version: 1,
          'control-service': { hostname: '127.0.0.1', port: agentPort },
          dataset: options.datasets[name],
        }),
      );
      const args = ['--config', configPath, '--mount-root', mountRoot];
      let daemon = new Daemon(`agent ${name}`, agent, args, options.installDir);
      daemons.push(daemon);
      return {
        name,
        uuid,
        mountRoot,
        configPath,
        async restart(signal) {
          await daemon.stop(signal, options.stopGraceMs);
          daemon = new Daemon(`agent ${name}`, agent, args, options.installDir);
          daemons.push(daemon);
        },
      };
    };
    const nodes = { a: await makeNode('a'), b: await makeNode('b') };
    await waitFor({
      what: 'both agents to report their nodes',
      timeoutMs: remaining(),
      intervalMs: 200,
      poll: async () => {
        for (const daemon of daemons) {
          if (!daemon.running) throw new Error(`${daemon.name} exited: ${daemon.log}`);
        }
        const known = new Set((await client.nodes()).map((node) => node.uuid));
        return known.has(nodes.a.uuid) && known.has(nodes.b.uuid)
          ? { done: true, value: undefined }
          : { done: false, state: [...known] };
      },
    });
    log(`agents of node A (${nodes.a.uuid}) and node B (${nodes.b.uuid}) report to it`);
    return {
      client,
      clusterId: credentials.identity.clusterId,
      nodes,
      processes: () => daemons.map(({ name, pid }) => ({ name, pid })),
      stop: stopAll,
    };
  } catch (error) {
    // The start failed: that is the error to report, with any process that would not stop beside it.
    const stopped = await stopAll().then(
      () => undefined,
      (stopError: unknown) => stopError,
    );
    throw stopped === undefined
      ? error
      : new AggregateError([error, stopped], `the cluster did not start: ${(error as Error).message}`);
  }
}
