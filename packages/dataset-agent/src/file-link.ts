import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import { type Logger, silentLogger } from '@flockerjs/core-interface';
import type { ClusterConfiguration, ClusterLink, NodeStateReport } from './cluster-link.js';
import { loadDesiredFile } from './desired-file.js';
import { AgentError } from './errors.js';
import { nextWake } from './wake-ups.js';

export interface FileLinkOptions {
  /** This node's id, the compute instance id: what `primary` names in the file. */
  readonly nodeId: string;
  /** The cluster id the agent started with (the file's `cluster_id`); the file may not change it. */
  readonly clusterId?: string;
  readonly logger?: Logger;
}

/**
 * The {@link ClusterLink} of `--desired FILE`: configuration is the file, re-read on every call; a change of
 * the file (watched through its directory, since editors replace files rather than write them) wakes the
 * agent. Reports go to the log. There is no ownership registry and there are no leases.
 */
export class FileLink implements ClusterLink {
  readonly nodeId: string;
  readonly clusterId?: string;
  /** The last state reported, for tests and diagnostics. */
  lastReport: NodeStateReport | undefined;
  readonly #path: string;
  readonly #logger: Logger;
  readonly #watcher: FSWatcher;
  #events = 0;
  #eventsSeen = 0;
  readonly #waiters = new Set<() => void>();

  constructor(path: string, options: FileLinkOptions) {
    this.#path = path;
    this.nodeId = options.nodeId;
    if (options.clusterId !== undefined) this.clusterId = options.clusterId;
    this.#logger = options.logger ?? silentLogger;
    const name = basename(path);
    this.#watcher = watch(dirname(path), { persistent: false }, (_event, file) => {
      if (file !== null && file !== name) return;
      this.#events += 1;
      for (const wake of this.#waiters) wake();
    });
    this.#watcher.on('error', (error) =>
      this.#logger.message('dataset-agent:watch-error', { error }, 'warn'),
    );
  }

  async configuration(): Promise<ClusterConfiguration> {
    this.#eventsSeen = this.#events;
    const file = await loadDesiredFile(this.#path);
    if (file.clusterId !== this.clusterId) {
      throw new AgentError(
        'INVALID_DESIRED_STATE',
        `${this.#path}: cluster_id is now ${JSON.stringify(file.clusterId ?? null)}, the agent started with ${JSON.stringify(this.clusterId ?? null)}; restart the agent to change clusters`,
      );
    }
    return { datasets: file.datasets, leases: [] };
  }

  changed(signal: AbortSignal): Promise<void> {
    if (this.#events !== this.#eventsSeen || signal.aborted) return Promise.resolve();
    return nextWake(this.#waiters, signal);
  }

  async report(state: NodeStateReport): Promise<void> {
    this.lastReport = state;
    this.#logger.message('dataset-agent:node-state', { state }, 'debug');
  }

  async close(): Promise<void> {
    this.#watcher.close();
    for (const wake of this.#waiters) wake();
  }
}
