import { randomBytes, randomUUID } from 'node:crypto';
import { ClusterState, DEFAULT_NODE_EXPIRY_MS } from './cluster-state.js';
import {
  acquireLease,
  activeLeases,
  addNode,
  type Configuration,
  type CreateDataset,
  checkTag,
  configurationTag,
  createDataset,
  datasetView,
  deleteDataset,
  emptyConfiguration,
  leaseView,
  moveDataset,
  nextLeaseExpiry,
  recordOwnership,
  releaseLease,
  resizeDataset,
} from './configuration.js';
import { ControlApiError } from './errors.js';
import type {
  ClusterUpdate,
  DatasetConfig,
  DatasetState,
  Lease,
  NodeSummary,
  ReportedDataset,
} from './schemas.js';
import type { ConfigurationStore } from './store.js';

/** How long a watch waits for a change when the agent does not say. */
export const DEFAULT_WATCH_WAIT_MS = 30_000;

export interface ControlServiceOptions {
  readonly store: ConfigurationStore;
  /**
   * The cluster's UUID, from the cluster certificate. A saved configuration of another cluster is refused.
   * Without it, the saved one is used, or a new one is made and saved.
   */
  readonly clusterId?: string;
  /** How long a node's state outlives its agent's last sign of life. @default 120000 */
  readonly nodeExpiryMs?: number;
  readonly now?: () => number;
}

/** A node's state report, its identity already established (from its certificate or, insecurely, its word). */
export interface NodeReport {
  readonly nodeUuid: string;
  readonly host: string;
  readonly instanceId: string;
  readonly era?: string | undefined;
  /** Whether the node's backend grows volumes; undefined when its agent does not say. */
  readonly canResize?: boolean | undefined;
  readonly datasets: readonly ReportedDataset[];
}

/**
 * The control service without its transport: the desired configuration (saved through the store before any
 * change is acknowledged), the agents' cluster state, leases, and watches that wake when anything changes.
 *
 * Changes are applied to an in-memory copy at once, so concurrent requests see each other, and saved in groups:
 * a request returns once a save that includes its change has completed. Readers (REST GETs and agents) see
 * only the saved configuration, so nothing acts on a change that a crash could still lose.
 */
export class ControlService {
  readonly clusterId: string;
  readonly #store: ConfigurationStore;
  readonly #now: () => number;
  readonly #state: ClusterState;
  /** Saved on disk: what readers see. */
  #saved: Configuration;
  /** Saved plus changes not yet saved: what changes are checked against. */
  #current: Configuration;
  #generation = 0;
  #savedGeneration = 0;
  #saving: Promise<void> | undefined;
  readonly #commitWaiters: { generation: number; resolve: () => void; reject: (e: unknown) => void }[] = [];
  /** Changes whenever anything an agent sees changes. */
  readonly #epoch = randomBytes(4).toString('hex');
  #counter = 0;
  readonly #watchers = new Set<() => void>();
  #leaseTimer: NodeJS.Timeout | undefined;
  #closed = false;

  private constructor(options: ControlServiceOptions, configuration: Configuration) {
    this.#store = options.store;
    this.#now = options.now ?? Date.now;
    this.clusterId = configuration.cluster_id;
    this.#saved = configuration;
    this.#current = configuration;
    this.#state = new ClusterState({
      expiryMs: options.nodeExpiryMs ?? DEFAULT_NODE_EXPIRY_MS,
      now: this.#now,
      onChange: () => this.#changed(),
    });
  }

  /** Loads the saved configuration (or starts an empty one, saved at once) and returns the running service. */
  static async open(options: ControlServiceOptions): Promise<ControlService> {
    const loaded = await options.store.load();
    if (loaded !== undefined && options.clusterId !== undefined && loaded.cluster_id !== options.clusterId) {
      throw new ControlApiError(
        'INTERNAL',
        500,
        `the saved configuration belongs to cluster ${loaded.cluster_id}, not to this certificate's cluster ` +
          `${options.clusterId}`,
      );
    }
    const configuration = loaded ?? emptyConfiguration(options.clusterId ?? randomUUID());
    if (loaded === undefined) await options.store.save(configuration);
    const service = new ControlService(options, configuration);
    service.#scheduleLeaseExpiry();
    return service;
  }

  // --- REST API: reads see the saved configuration ---

  datasets(): DatasetConfig[] {
    return Object.values(this.#saved.datasets).map(datasetView);
  }

  /** The `X-Configuration-Tag` of {@link datasets}. */
  configurationTag(): string {
    return configurationTag(this.#saved);
  }

  leases(): Lease[] {
    return activeLeases(this.#saved, this.#now());
  }

  datasetStates(): DatasetState[] {
    return this.#state.datasetStates();
  }

  nodes(): NodeSummary[] {
    return this.#state.summaries();
  }

  nodeByEra(era: string): string | undefined {
    return this.#state.nodeByEra(era);
  }

  // --- REST API: changes, acknowledged once saved ---

  /** Throws 412 when `ifMatches` is given and none of its values is the current tag. */
  checkTag(ifMatches: readonly string[] | undefined): void {
    checkTag(this.#current, ifMatches);
  }

  async createDataset(request: CreateDataset, ifMatches?: readonly string[]): Promise<DatasetConfig> {
    return this.#change((configuration) => {
      checkTag(configuration, ifMatches);
      const result = createDataset(configuration, request);
      return { configuration: result.configuration, value: datasetView(result.dataset) };
    });
  }

  /**
   * Moves a dataset (`primary`) and grows it (`maximum_size`), all or nothing. The growth is checked against
   * the node that is to hold it, whose agent grows the volume.
   */
  async updateDataset(
    datasetId: string,
    update: { readonly primary?: string | undefined; readonly maximum_size?: number | undefined },
    ifMatches?: readonly string[],
  ): Promise<DatasetConfig> {
    return this.#change((configuration) => {
      checkTag(configuration, ifMatches);
      const canResize = (nodeUuid: string): boolean | undefined =>
        this.#state.nodes().find((node) => node.uuid === nodeUuid)?.can_resize;
      const moved = moveDataset(configuration, datasetId, update.primary, this.#now()).configuration;
      const result = resizeDataset(moved, datasetId, update.maximum_size, canResize);
      return { configuration: result.configuration, value: datasetView(result.dataset) };
    });
  }

  async deleteDataset(datasetId: string, ifMatches?: readonly string[]): Promise<DatasetConfig> {
    return this.#change((configuration) => {
      checkTag(configuration, ifMatches);
      const result = deleteDataset(configuration, datasetId, this.#now());
      return { configuration: result.configuration, value: datasetView(result.dataset) };
    });
  }

  async acquireLease(request: {
    dataset_id: string;
    node_uuid: string;
    expires: number | null;
  }): Promise<{ lease: Lease; created: boolean }> {
    return this.#change((configuration) => {
      const now = this.#now();
      const result = acquireLease(configuration, request, now);
      return {
        configuration: result.configuration,
        value: { lease: leaseView(result.lease, now), created: result.created },
      };
    });
  }

  async releaseLease(datasetId: string): Promise<Lease> {
    return this.#change((configuration) => {
      const now = this.#now();
      const result = releaseLease(configuration, datasetId, now);
      return { configuration: result.configuration, value: leaseView(result.lease, now) };
    });
  }

  // --- agent protocol ---

  /** Stores a node's state; the node becomes known (a possible primary) once this returns. */
  async reportNodeState(report: NodeReport): Promise<void> {
    const changed = this.#state.report({
      uuid: report.nodeUuid,
      host: report.host,
      instance_id: report.instanceId,
      ...(report.era === undefined ? {} : { era: report.era }),
      ...(report.canResize === undefined ? {} : { can_resize: report.canResize }),
      datasets: [...report.datasets],
    });
    if (changed) this.#changed();
    await this.#change((configuration) => ({
      configuration: addNode(configuration, report.nodeUuid),
      value: undefined,
    }));
  }

  /** Records that a volume holds a dataset, first writer wins; 409 `ALREADY_OWNED` names the owner. */
  async recordOwnership(datasetId: string, blockDeviceId: string): Promise<void> {
    await this.#change((configuration) => ({
      configuration: recordOwnership(configuration, datasetId, blockDeviceId),
      value: undefined,
    }));
  }

  /**
   * The cluster as `nodeUuid` should see it: at once when its version differs from `since`, otherwise when
   * something changes, or after `waitMs` (unchanged), or when `signal` aborts or the service closes.
   * While it waits, the node counts as alive.
   */
  async watch(
    nodeUuid: string,
    since: string | undefined,
    waitMs = DEFAULT_WATCH_WAIT_MS,
    signal?: AbortSignal,
  ): Promise<ClusterUpdate> {
    if (since === this.#version() && waitMs > 0 && !this.#closed && !signal?.aborted) {
      this.#state.watching(nodeUuid, 1);
      try {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', done);
            this.#watchers.delete(done);
            resolve();
          };
          const timer = setTimeout(done, waitMs);
          signal?.addEventListener('abort', done);
          this.#watchers.add(done);
        });
      } finally {
        this.#state.watching(nodeUuid, -1);
      }
    }
    return this.#update(nodeUuid);
  }

  /** Wakes every watch, stops the timers, and waits for the saves under way. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const wake of [...this.#watchers]) wake();
    clearTimeout(this.#leaseTimer);
    this.#state.close();
    await this.#saving?.catch(() => undefined);
  }

  // --- internals ---

  #version(): string {
    return `${this.#epoch}-${this.#counter}`;
  }

  #changed(): void {
    this.#counter += 1;
    for (const wake of [...this.#watchers]) wake();
  }

  #update(nodeUuid: string): ClusterUpdate {
    return {
      version: this.#version(),
      cluster_id: this.clusterId,
      node_uuid: nodeUuid,
      datasets: this.datasets(),
      leases: this.leases(),
      ownership: { ...this.#saved.ownership },
      nodes: this.#state.nodes(),
    };
  }

  /**
   * Applies `fn` to the current configuration and resolves with its value once the result is saved. `fn` throws
   * to refuse; a change that changes nothing still waits for the saves before it, whose results it saw.
   */
  async #change<T>(
    fn: (configuration: Configuration) => { configuration: Configuration; value: T },
  ): Promise<T> {
    if (this.#closed) throw new ControlApiError('INTERNAL', 503, 'The control service is shutting down.');
    const { configuration, value } = fn(this.#current);
    if (configuration !== this.#current) {
      this.#current = configuration;
      this.#generation += 1;
    }
    const generation = this.#generation;
    if (generation > this.#savedGeneration) {
      await new Promise<void>((resolve, reject) => {
        this.#commitWaiters.push({ generation, resolve, reject });
        this.#saving ??= this.#saveLoop();
      });
    }
    return value;
  }

  /** Saves until the saved configuration is the current one, acknowledging the changes each save covered. */
  async #saveLoop(): Promise<void> {
    try {
      while (this.#savedGeneration < this.#generation) {
        const snapshot = this.#current;
        const generation = this.#generation;
        try {
          await this.#store.save(snapshot);
        } catch (error) {
          // Nothing unsaved was acknowledged: drop it all, so memory matches the file again.
          this.#current = this.#saved;
          this.#generation = this.#savedGeneration;
          const failed = this.#commitWaiters.splice(0);
          for (const waiter of failed) waiter.reject(error);
          return;
        }
        this.#saved = snapshot;
        this.#savedGeneration = generation;
        this.#changed();
        this.#scheduleLeaseExpiry();
        for (let i = this.#commitWaiters.length - 1; i >= 0; i--) {
          const waiter = this.#commitWaiters[i];
          if (waiter !== undefined && waiter.generation <= generation) {
            this.#commitWaiters.splice(i, 1);
            waiter.resolve();
          }
        }
      }
    } finally {
      this.#saving = undefined;
    }
  }

  /** Agents learn that a lease ran out when it does, without a save. */
  #scheduleLeaseExpiry(): void {
    clearTimeout(this.#leaseTimer);
    const at = nextLeaseExpiry(this.#saved, this.#now());
    if (at === undefined || this.#closed) return;
    this.#leaseTimer = setTimeout(
      () => {
        this.#changed();
        this.#scheduleLeaseExpiry();
      },
      Math.max(0, at - this.#now()) + 1,
    );
    this.#leaseTimer.unref();
  }
}
