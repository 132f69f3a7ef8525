import type { DatasetState, NodeState, NodeSummary } from './schemas.js';

/** How long a node's state outlives its agent's last sign of life, as the original's `EXPIRATION_TIME`. */
export const DEFAULT_NODE_EXPIRY_MS = 120_000;

interface Entry {
  state: NodeState;
  lastSeen: number;
}

/**
 * What the agents report, in memory only: each node's state, dropped once its agent has shown no sign of life
 * (a report, an open or ended watch) for `expiryMs`, so that `/v1/state/*` shows what is true now. A node with
 * a watch open is alive, as an agent with its connection open was in the original.
 */
export class ClusterState {
  readonly #expiryMs: number;
  readonly #now: () => number;
  readonly #onChange: () => void;
  readonly #entries = new Map<string, Entry>();
  readonly #watches = new Map<string, number>();
  readonly #timers = new Map<string, NodeJS.Timeout>();

  constructor(options: { expiryMs: number; now: () => number; onChange: () => void }) {
    this.#expiryMs = options.expiryMs;
    this.#now = options.now;
    this.#onChange = options.onChange;
  }

  /** Stores a node's report; returns whether anything anyone can see changed. */
  report(state: NodeState): boolean {
    const previous = this.#entries.get(state.uuid);
    this.#entries.set(state.uuid, { state, lastSeen: this.#now() });
    this.#schedule(state.uuid);
    return previous === undefined || JSON.stringify(previous.state) !== JSON.stringify(state);
  }

  /** A watch by `uuid` starts (+1) or ends (-1); either is a sign of life. */
  watching(uuid: string, delta: 1 | -1): void {
    const count = (this.#watches.get(uuid) ?? 0) + delta;
    if (count > 0) this.#watches.set(uuid, count);
    else this.#watches.delete(uuid);
    const entry = this.#entries.get(uuid);
    if (entry !== undefined) entry.lastSeen = this.#now();
    this.#schedule(uuid);
  }

  nodes(): NodeState[] {
    return [...this.#entries.values()].map((entry) => entry.state);
  }

  summaries(): NodeSummary[] {
    return this.nodes().map((state) => ({ host: state.host, uuid: state.uuid }));
  }

  nodeByEra(era: string): string | undefined {
    return this.nodes().find((state) => state.era === era)?.uuid;
  }

  /**
   * One entry per dataset some live node sees: with `primary` and `path` where a node reports it mounted,
   * otherwise only its id and size.
   */
  datasetStates(): DatasetState[] {
    const mounted = new Map<string, DatasetState>();
    const seen = new Map<string, DatasetState>();
    const nodes = this.nodes().sort((a, b) => (a.uuid < b.uuid ? -1 : 1));
    for (const node of nodes) {
      for (const dataset of node.datasets) {
        const size = dataset.maximum_size === null ? {} : { maximum_size: dataset.maximum_size };
        if (dataset.path !== undefined && !mounted.has(dataset.dataset_id)) {
          mounted.set(dataset.dataset_id, {
            dataset_id: dataset.dataset_id,
            ...size,
            primary: node.uuid,
            path: dataset.path,
          });
        } else if (!seen.has(dataset.dataset_id)) {
          seen.set(dataset.dataset_id, { dataset_id: dataset.dataset_id, ...size });
        }
      }
    }
    for (const [id, state] of seen) if (!mounted.has(id)) mounted.set(id, state);
    return [...mounted.values()];
  }

  close(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  #schedule(uuid: string): void {
    clearTimeout(this.#timers.get(uuid));
    this.#timers.delete(uuid);
    const entry = this.#entries.get(uuid);
    if (entry === undefined || this.#watches.has(uuid)) return;
    const delay = Math.max(0, entry.lastSeen + this.#expiryMs - this.#now());
    const timer = setTimeout(() => {
      this.#timers.delete(uuid);
      if (this.#watches.has(uuid)) return;
      if (this.#now() - entry.lastSeen < this.#expiryMs) return this.#schedule(uuid);
      this.#entries.delete(uuid);
      this.#onChange();
    }, delay);
    timer.unref();
    this.#timers.set(uuid, timer);
  }
}
