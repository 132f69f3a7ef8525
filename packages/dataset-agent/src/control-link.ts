import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterCredentials } from '@flockerjs/cluster-ca';
import {
  type ClusterUpdate,
  ControlApiError,
  ControlClient,
  type ReportedDataset,
} from '@flockerjs/control-service';
import { type Logger, silentLogger } from '@flockerjs/core-interface';
import type {
  ClusterConfiguration,
  ClusterLink,
  DatasetReport,
  DatasetState,
  NodeStateReport,
} from './cluster-link.js';
import { AgentError } from './errors.js';
import { nextWake } from './wake-ups.js';

/** How long one watch of the control service waits for a change before asking again. */
const WATCH_WAIT_MS = 30_000;
/** After a failed watch (control service unreachable), wait this long before watching again. */
const WATCH_RETRY_MS = 1_000;
/** States in which this node sees a volume of the dataset that no other node reports: the original's non-manifest. */
const REPORTED_STATES: ReadonlySet<DatasetState> = new Set<DatasetState>([
  'MOUNTED',
  'NON_MANIFEST',
  'ATTACHED',
  'ATTACHED_NO_FILESYSTEM',
  'ATTACHED_TO_DEAD_NODE',
  'ATTACHED_UNKNOWN_DATA',
  'MOUNTED_OTHER_PATH',
]);

export interface ControlLinkOptions {
  /** `https://<control-service.hostname>:<port>` from agent.yml. */
  readonly url: string;
  /** The node's credentials (`node.crt`, `node.key`, `cluster.crt` beside agent.yml): its id and cluster id. */
  readonly credentials: ClusterCredentials;
  /** The node's boot id, for `/v1/state/nodes/by_era`. @default read from /proc/sys/kernel/random/boot_id */
  readonly era?: string;
  readonly logger?: Logger;
}

/**
 * The {@link ClusterLink} of a control service: configuration and cluster state come from its agent protocol,
 * changes are learned by long poll (no tight polling), reports and volume registrations go to it. The node id
 * and cluster id come from the node's certificate, and the service checks that this node speaks only for itself.
 */
export class ControlLink implements ClusterLink {
  readonly nodeId: string;
  readonly clusterId: string;
  readonly #client: ControlClient;
  readonly #era: Promise<string | undefined>;
  readonly #logger: Logger;
  readonly #closing = new AbortController();
  /** The version of the last configuration handed to the agent. */
  #seen: string | undefined;
  /** The latest version the background watch saw. */
  #latest: string | undefined;
  readonly #waiters = new Set<() => void>();

  constructor(options: ControlLinkOptions) {
    const { identity } = options.credentials;
    if (identity.kind !== 'node') {
      throw new AgentError(
        'INVALID_DESIRED_STATE',
        `the agent needs a node certificate, not a ${identity.kind} one`,
      );
    }
    this.nodeId = identity.nodeUuid;
    this.clusterId = identity.clusterId;
    this.#client = new ControlClient({ url: options.url, credentials: options.credentials });
    this.#era = options.era === undefined ? readBootId() : Promise.resolve(options.era);
    this.#logger = options.logger ?? silentLogger;
    void this.#watch();
  }

  async configuration(): Promise<ClusterConfiguration> {
    const update = await this.#client.watchCluster({ waitMs: 0, signal: this.#closing.signal });
    if (update.cluster_id !== this.clusterId) {
      throw new AgentError(
        'INVALID_DESIRED_STATE',
        `the control service runs cluster ${update.cluster_id}; this node's certificate is for cluster ${this.clusterId}`,
      );
    }
    this.#seen = update.version;
    return configurationOf(update, this.nodeId, Date.now());
  }

  changed(signal: AbortSignal): Promise<void> {
    if (
      signal.aborted ||
      this.#closing.signal.aborted ||
      (this.#latest !== undefined && this.#latest !== this.#seen)
    ) {
      return Promise.resolve();
    }
    return nextWake(this.#waiters, signal);
  }

  async report(state: NodeStateReport): Promise<void> {
    const era = await this.#era;
    await this.#client.reportNodeState({
      instance_id: state.instanceId,
      ...(era === undefined ? {} : { era }),
      ...(state.canResize === undefined ? {} : { can_resize: state.canResize }),
      datasets: state.datasets.flatMap(reportedDataset),
    });
  }

  async registerVolume(datasetId: string, blockDeviceId: string): Promise<string> {
    try {
      await this.#client.recordOwnership(datasetId, blockDeviceId);
      return blockDeviceId;
    } catch (error) {
      if (!(error instanceof ControlApiError) || error.code !== 'ALREADY_OWNED') throw error;
      const owner = (await this.#client.watchCluster({ waitMs: 0 })).ownership[datasetId];
      if (owner === undefined) throw error;
      return owner;
    }
  }

  async close(): Promise<void> {
    this.#closing.abort();
    this.#wake();
    this.#client.close();
  }

  /**
   * One long poll always open, whatever the agent is doing: the control service counts the node alive while it
   * is open (as the original's connection), and a change wakes the agent at once.
   */
  async #watch(): Promise<void> {
    const signal = this.#closing.signal;
    while (!signal.aborted) {
      try {
        const update = await this.#client.watchCluster({
          since: this.#latest,
          waitMs: WATCH_WAIT_MS,
          signal,
        });
        if (update.version === this.#latest) continue;
        this.#latest = update.version;
      } catch (error) {
        if (signal.aborted) return;
        // Meanwhile the agent's rounds fail on configuration() and back off: no plan from a stale view.
        this.#logger.message('dataset-agent:watch-failed', { error }, 'warn');
        await sleep(WATCH_RETRY_MS, undefined, { signal }).catch(() => undefined);
        continue;
      }
      if (this.#latest !== this.#seen) this.#wake();
    }
  }

  #wake(): void {
    for (const wake of [...this.#waiters]) wake();
  }
}

// --- internals ---

/** What the agent needs of a cluster update: every dataset, this node's leases, the ownership registry. */
function configurationOf(update: ClusterUpdate, nodeId: string, now: number): ClusterConfiguration {
  return {
    datasets: update.datasets.map((dataset) => ({
      datasetId: dataset.dataset_id,
      primary: dataset.primary,
      maximumSize: dataset.maximum_size ?? null,
      metadata: dataset.metadata,
      deleted: dataset.deleted,
    })),
    leases: update.leases
      .filter((lease) => lease.node_uuid === nodeId)
      .map((lease) => ({
        datasetId: lease.dataset_id,
        expiresAt: lease.expires === null ? null : now + lease.expires * 1000,
      })),
    ownership: new Map(Object.entries(update.ownership)),
  };
}

/** A dataset as the control service's state shows it: with its mount path when mounted here, not at all when
 * this node has no volume of it (another node reports it). */
function reportedDataset(dataset: DatasetReport): ReportedDataset[] {
  if (!REPORTED_STATES.has(dataset.state)) return [];
  return [
    {
      dataset_id: dataset.datasetId,
      ...(dataset.blockDeviceId === null ? {} : { blockdevice_id: dataset.blockDeviceId }),
      maximum_size: dataset.size,
      ...(dataset.state === 'MOUNTED' && dataset.mountPath !== null ? { path: dataset.mountPath } : {}),
    },
  ];
}

/** The kernel's boot id, as Flocker's `flocker-node-era`; undefined where there is none. */
async function readBootId(): Promise<string | undefined> {
  try {
    return (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
  } catch {
    return undefined;
  }
}
