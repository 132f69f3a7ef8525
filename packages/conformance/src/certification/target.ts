import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type AgentBackend,
  type CertificationHints,
  type IBlockDeviceAPI,
  InvalidConfigError,
  importBackend,
  instantiateBackend,
  type Logger,
  loadAgentBackend,
  type Metrics,
  loadAgentConfig,
  parseBackendConfig,
  silentLogger,
} from '@flockerjs/core-interface';
import type { NodeDatasets } from '../local-cluster.js';

/** Test cluster ids end in this node field, as the original marked them, so they are never mistaken for real. */
export const TEST_CLUSTER_MARKER = 'aaaaaaaaaaaa';

/** A random cluster id marked as a test cluster's. */
export function testClusterId(): string {
  return `${randomUUID().slice(0, 24)}${TEST_CLUSTER_MARKER}`;
}

/** One line of the manifest: an API the run made, enough to open it again and sweep it. */
export interface ManifestEntry {
  readonly clusterId?: string | undefined;
  readonly scratchDir?: string | undefined;
  readonly node?: 'a' | 'b' | undefined;
}

/**
 * A loaded target as plain data, for the vitest worker: the agent.yml already validated and its backend
 * already resolved, so the worker only imports the module at `agent.moduleUrl`.
 */
export interface TargetData {
  readonly agent: Omit<AgentBackend, 'backend'>;
  /** Node B's validated backend keys, from `--peer-config`. */
  readonly peerConfig?: unknown;
}

/** The backend an agent.yml names, loaded and validated: what both the suites and the sweep work on. */
export interface Target {
  readonly agent: AgentBackend;
  readonly hints: CertificationHints;
  /** Whether the acceptance run has a node B: from `certification.node` or a peer agent.yml. */
  readonly hasTwoNodes: boolean;
  /** The same target as plain data (see {@link targetFromData}). */
  readonly data: TargetData;
  /**
   * Opens an API: with `scratchDir`, an isolated one (backends without cluster ids); as `node` for acceptance.
   * Its calls are logged to `logger` and counted in `metrics`.
   */
  open(options: ManifestEntry, logger?: Logger, metrics?: Metrics): Promise<IBlockDeviceAPI>;
  /**
   * The `dataset` sections of node A's and node B's agent.yml for the cluster suite's agents: the same backend
   * module, isolated in `scratchDir` where the backend has no cluster ids, one node each.
   */
  nodeDatasets(scratchDir: string): NodeDatasets;
}

/**
 * Loads the agent.yml, its backend, and node B's agent.yml if given.
 * @param alsoFrom module URL to resolve backend packages from after the config's directory and the working one.
 * @throws `INVALID_CONFIG` naming every bad key; `PLUGIN_LOAD`.
 */
export async function loadTarget(configPath: string, alsoFrom: string, peerConfigPath?: string): Promise<Target> {
  const agent = await loadAgentBackend(configPath, { alsoFrom: [alsoFrom] });
  const peerConfig = peerConfigPath === undefined ? undefined : await loadPeer(peerConfigPath, agent);
  return makeTarget(agent, peerConfig);
}

/** The target {@link loadTarget} loaded, in another thread: imports the backend module, resolves nothing. */
export async function targetFromData(data: TargetData): Promise<Target> {
  const backend = await importBackend(data.agent.moduleUrl, data.agent.config.dataset.backend);
  return makeTarget({ ...data.agent, backend }, data.peerConfig);
}

function makeTarget(agent: AgentBackend, peerConfig: unknown): Target {
  const { backend, backendConfig, configDir } = agent;
  const hints = backend.certification ?? {};
  const configOf = ({ scratchDir, node }: ManifestEntry): unknown => {
    let config = node === 'b' && peerConfig !== undefined ? peerConfig : backendConfig;
    if (scratchDir !== undefined && hints.isolate !== undefined) config = hints.isolate(config, scratchDir);
    if (node !== undefined && hints.node !== undefined) config = hints.node(config, node);
    return config;
  };
  const datasetOf = (node: 'a' | 'b', scratchDir: string): Record<string, unknown> => ({
    // The module the run loaded, by URL, so each agent loads exactly this backend.
    backend: agent.moduleUrl,
    ...(configOf({ node, ...(backend.needsClusterId ? {} : { scratchDir }) }) as Record<string, unknown>),
  });
  const { backend: _functions, ...plain } = agent;
  return {
    agent,
    hints,
    hasTwoNodes: hints.node !== undefined || peerConfig !== undefined,
    data: { agent: plain, ...(peerConfig === undefined ? {} : { peerConfig }) },
    async open({ clusterId, scratchDir, node }, logger = silentLogger, metrics) {
      return instantiateBackend(backend, configOf({ scratchDir, node }), {
        configDir,
        logger,
        ...(metrics === undefined ? {} : { metrics }),
        ...(clusterId === undefined ? {} : { clusterId }),
      });
    },
    nodeDatasets: (scratchDir) => ({ a: datasetOf('a', scratchDir), b: datasetOf('b', scratchDir) }),
  };
}

/** Node B's configuration: another agent.yml of the same backend, as a second node of the cluster has. */
async function loadPeer(path: string, agent: AgentBackend): Promise<unknown> {
  const loaded = await loadAgentConfig(path);
  if (loaded.errors !== undefined) throw new InvalidConfigError(loaded.errors, path);
  const name = agent.config.dataset.backend;
  if (loaded.config.dataset.backend !== name) {
    throw new InvalidConfigError(
      [`dataset.backend: ${JSON.stringify(loaded.config.dataset.backend)}, but node A's is ${JSON.stringify(name)}`],
      path,
    );
  }
  return parseBackendConfig(agent.backend, loaded.config.dataset);
}

/** Records an API in the manifest before it is made, so a crash after that still gets it swept. */
export async function recordInManifest(manifestFile: string, entry: ManifestEntry): Promise<void> {
  await appendFile(manifestFile, `${JSON.stringify(entry)}\n`);
}

/** A fresh entry for one isolated API: a new test cluster id, or a new scratch directory. */
export async function isolatedEntry(target: Target, scratchRoot: string): Promise<ManifestEntry> {
  if (target.agent.backend.needsClusterId) return { clusterId: testClusterId() };
  await mkdir(scratchRoot, { recursive: true });
  return { scratchDir: await mkdtemp(join(scratchRoot, 'test-')) };
}
