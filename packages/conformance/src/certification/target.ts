import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, mkdtemp } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  type AgentConfig,
  type BackendDescription,
  type CertificationHints,
  type IBlockDeviceAPI,
  InvalidConfigError,
  instantiateBackend,
  type Logger,
  loadAgentConfig,
  loadBackend,
  parseBackendConfig,
  silentLogger,
} from '@flockerjs/core-interface';
import type { ManifestEntry } from './settings.js';

/** Test cluster ids end in this node field, as the original marked them, so they are never mistaken for real. */
export const TEST_CLUSTER_MARKER = 'aaaaaaaaaaaa';

/** A random cluster id marked as a test cluster's. */
export function testClusterId(): string {
  return `${randomUUID().slice(0, 24)}${TEST_CLUSTER_MARKER}`;
}

/** The backend an agent.yml names, loaded and validated: what both the suites and the sweep work on. */
export interface Target {
  readonly config: AgentConfig;
  readonly configDir: string;
  readonly backend: BackendDescription;
  readonly backendConfig: unknown;
  readonly hints: CertificationHints;
  /** Whether the acceptance run has a node B: from `certification.node` or a peer agent.yml. */
  readonly hasTwoNodes: boolean;
  /** Opens an API: with `scratchDir`, an isolated one (backends without cluster ids); as `node` for acceptance. */
  open(options: ManifestEntry, logger?: Logger): Promise<IBlockDeviceAPI>;
}

/**
 * Loads the agent.yml and its backend.
 * @throws `INVALID_CONFIG` naming every bad key; `PLUGIN_LOAD`.
 */
export async function openTarget(configPath: string, resolveFrom?: string, peerConfigPath?: string): Promise<Target> {
  const loaded = await loadAgentConfig(configPath);
  if (loaded.errors !== undefined) throw new InvalidConfigError(loaded.errors, configPath);
  const configDir = dirname(configPath);
  const backend = await loadBackend(loaded.config.dataset.backend, {
    configDir,
    ...(resolveFrom === undefined ? {} : { alsoFrom: [resolveFrom] }),
  });
  const backendConfig = parseBackendConfig(backend, loaded.config.dataset);
  const hints = backend.certification ?? {};
  const peerConfig = peerConfigPath === undefined ? undefined : await loadPeer(peerConfigPath, loaded.config.dataset.backend, backend);
  return {
    config: loaded.config,
    configDir,
    backend,
    backendConfig,
    hints,
    hasTwoNodes: hints.node !== undefined || peerConfig !== undefined,
    async open({ clusterId, scratchDir, node }, logger = silentLogger) {
      let config = node === 'b' && peerConfig !== undefined ? peerConfig : backendConfig;
      if (scratchDir !== undefined && hints.isolate !== undefined) config = hints.isolate(config, scratchDir);
      if (node !== undefined && hints.node !== undefined) config = hints.node(config, node);
      return instantiateBackend(backend, config, {
        configDir,
        logger,
        ...(clusterId === undefined ? {} : { clusterId }),
      });
    },
  };
}

/** Node B's configuration: another agent.yml of the same backend, as a second node of the cluster has. */
async function loadPeer(path: string, backendName: string, backend: BackendDescription): Promise<unknown> {
  const loaded = await loadAgentConfig(path);
  if (loaded.errors !== undefined) throw new InvalidConfigError(loaded.errors, path);
  if (loaded.config.dataset.backend !== backendName) {
    throw new InvalidConfigError(
      [`dataset.backend: ${JSON.stringify(loaded.config.dataset.backend)}, but node A's is ${JSON.stringify(backendName)}`],
      path,
    );
  }
  return parseBackendConfig(backend, loaded.config.dataset);
}

/** Records an API in the manifest before it is made, so a crash after that still gets it swept. */
export async function recordInManifest(manifestFile: string, entry: ManifestEntry): Promise<void> {
  await appendFile(manifestFile, `${JSON.stringify(entry)}\n`);
}

/** A fresh entry for one isolated API: a new test cluster id, or a new scratch directory. */
export async function isolatedEntry(target: Target, scratchRoot: string): Promise<ManifestEntry> {
  if (target.backend.needsClusterId) return { clusterId: testClusterId() };
  await mkdir(scratchRoot, { recursive: true });
  return { scratchDir: await mkdtemp(join(scratchRoot, 'test-')) };
}
