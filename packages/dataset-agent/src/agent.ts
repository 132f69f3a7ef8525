import {
  type Clock,
  type Exec,
  execCommand,
  type IBlockDeviceAPI,
  isResizable,
  type Logger,
  silentLogger,
  systemClock,
} from '@flockerjs/core-interface';
import { type MountInfoEntry, readMountInfo } from '@flockerjs/linux-block';
import type { ClusterLink } from './cluster-link.js';
import { discover } from './discovery.js';
import { execute } from './executors.js';
import { type Plan, plan, type StateChange } from './planner.js';

/** Sleep after a round with nothing to do, unless the configuration changes first: the original's 60 s. */
export const NOTHING_TO_DO_MS = 60_000;
/** Sleep while waiting on another node (a detach, a listing): shorter than the original's 3 s poll. */
export const POLL_MS = 1_000;
/** Sleeps after consecutive failed rounds, as the original: ×4 from 0.1 s, capped at 10 s. */
export const BACKOFF_MS: readonly number[] = [100, 400, 1600, 6400, 10_000];
/** `--once` gives up after this many rounds that each made progress: a plan that never settles is a bug. */
export const MAX_ONCE_ROUNDS = 100;

/** Test-only crash points, from `FLOCKER_AGENT_KILL_AFTER_STEP` and `FLOCKER_AGENT_KILL_AFTER_CALL`. */
export interface Faults {
  /** Kill the process right after the k-th state change completes (1-based, counted over the process). */
  readonly afterStep?: number;
  /** Kill the process right after the n-th driver call or OS command made by an executor completes. */
  readonly afterCall?: number;
  /** How to die. @default SIGKILL to this process */
  readonly kill?: () => void;
}

export interface AgentOptions {
  readonly api: IBlockDeviceAPI;
  readonly link: ClusterLink;
  readonly mountRoot: string;
  readonly logger?: Logger;
  readonly exec?: Exec;
  readonly readMounts?: () => Promise<MountInfoEntry[]>;
  readonly clock?: Clock;
  readonly faults?: Faults;
}

/** A change that failed, and why. */
export interface Failure {
  readonly change: StateChange;
  readonly error: unknown;
}

export interface RoundResult {
  readonly plan: Plan;
  /** Changes run to completion this round. */
  readonly done: readonly StateChange[];
  readonly failed: readonly Failure[];
}

export interface ConvergeResult {
  readonly rounds: number;
  /** The last round's plan: its waits and problems are what is left. */
  readonly last: Plan;
  readonly failed: readonly Failure[];
}

/**
 * The dataset agent's loop: discover, report, plan, act. One round runs every planned change in order (one per
 * dataset), a failure stopping only its own dataset; the next round re-discovers.
 */
export class DatasetAgent {
  readonly #api: IBlockDeviceAPI;
  readonly #link: ClusterLink;
  readonly #mountRoot: string;
  readonly #logger: Logger;
  readonly #exec: Exec;
  readonly #readMounts: () => Promise<MountInfoEntry[]>;
  readonly #clock: Clock;
  readonly #faults: Faults;
  #instanceId: string | undefined;
  #steps = 0;
  #calls = 0;

  constructor(options: AgentOptions) {
    this.#link = options.link;
    this.#mountRoot = options.mountRoot;
    this.#logger = options.logger ?? silentLogger;
    this.#clock = options.clock ?? systemClock;
    this.#faults = options.faults ?? {};
    this.#readMounts = options.readMounts ?? (() => readMountInfo());
    const exec = options.exec ?? execCommand;
    this.#exec = (file, args) =>
      this.#logger.action('dataset-agent:exec', { argv: [file, ...args] }, () => exec(file, args));
    this.#api = options.api;
  }

  /** One round: discover, report, plan, then run the changes until `signal` aborts (the running one finishes). */
  async round(signal?: AbortSignal): Promise<RoundResult> {
    return this.#logger.action('dataset-agent:round', {}, async () => {
      this.#instanceId ??= await this.#api.computeInstanceId();
      const instanceId = this.#instanceId;
      const configuration = await this.#link.configuration();
      const canResize = isResizable(this.#api);
      const found = await this.#logger.action('dataset-agent:discover', {}, () =>
        discover(
          { api: this.#api, exec: this.#exec, readMounts: this.#readMounts, logger: this.#logger },
          instanceId,
          {
            measureFilesystems: canResize,
          },
        ),
      );
      const calculated = plan({
        nodeId: this.#link.nodeId,
        instanceId,
        mountRoot: this.#mountRoot,
        configuration,
        volumes: found.volumes,
        liveNodes: found.liveNodes,
        canResize,
        canRegister: this.#link.registerVolume !== undefined,
        allocationUnit: await this.#api.allocationUnit(),
        now: this.#clock.now(),
      });
      await this.#link
        .report({ nodeId: this.#link.nodeId, instanceId, canResize, datasets: calculated.report })
        .catch((error: unknown) => this.#logger.message('dataset-agent:report-failed', { error }, 'warn'));
      for (const problem of calculated.problems)
        this.#logger.message('dataset-agent:left-alone', { ...problem }, 'warn');
      for (const wait of calculated.waits) this.#logger.message('dataset-agent:waiting', { ...wait });
      const done: StateChange[] = [];
      const failed: Failure[] = [];
      for (const change of calculated.changes) {
        if (signal?.aborted) break;
        try {
          await this.#logger.action(`dataset-agent:${change.kind}`, { ...change }, () =>
            execute(change, this.#executorDeps(instanceId)),
          );
          done.push(change);
          this.#steps += 1;
          if (this.#steps === this.#faults.afterStep) this.#die();
        } catch (error) {
          failed.push({ change, error });
        }
      }
      return { plan: calculated, done, failed };
    });
  }

  /**
   * `--once`: rounds until one plans no change. Stops after the first round in which a change failed.
   * @returns the rounds run, the last plan (waits and problems left) and the failures.
   */
  async converge(signal?: AbortSignal): Promise<ConvergeResult> {
    for (let rounds = 1; ; rounds += 1) {
      const result = await this.round(signal);
      const settled = result.plan.changes.length === 0;
      if (settled || result.failed.length > 0 || signal?.aborted || rounds >= MAX_ONCE_ROUNDS) {
        return { rounds, last: result.plan, failed: result.failed };
      }
    }
  }

  /**
   * Loops until `signal` aborts: a round, then straight on after progress, backoff after a failure, a short
   * poll while waiting on other nodes, and a long sleep when converged; any sleep ends early when the
   * configuration changes.
   */
  async run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      let delay: number;
      try {
        const result = await this.round(signal);
        if (result.failed.length > 0)
          delay = BACKOFF_MS[Math.min(failures++, BACKOFF_MS.length - 1)] ?? 10_000;
        else {
          failures = 0;
          delay = result.done.length > 0 ? 0 : result.plan.waits.length > 0 ? POLL_MS : NOTHING_TO_DO_MS;
        }
      } catch (error) {
        this.#logger.message('dataset-agent:round-failed', { error }, 'error');
        delay = BACKOFF_MS[Math.min(failures++, BACKOFF_MS.length - 1)] ?? 10_000;
      }
      if (delay > 0) await this.#sleep(delay, signal);
    }
  }

  async #sleep(ms: number, signal: AbortSignal): Promise<void> {
    const wake = new AbortController();
    const stop = (): void => wake.abort();
    signal.addEventListener('abort', stop, { once: true });
    try {
      await Promise.race([
        this.#clock.sleep(ms, wake.signal).catch(() => {}),
        this.#link.changed(wake.signal),
      ]);
    } finally {
      signal.removeEventListener('abort', stop);
      wake.abort();
    }
  }

  #executorDeps(instanceId: string) {
    // Counted however the call ends: blkid's "nothing found" is a rejection, and still a call.
    const counted = async <T>(call: () => Promise<T>): Promise<T> => {
      try {
        return await call();
      } finally {
        this.#calls += 1;
        if (this.#calls === this.#faults.afterCall) this.#die();
      }
    };
    const target = this.#api;
    // A blank proxy target: a frozen driver's read-only members can still be wrapped (proxy invariants).
    const api = new Proxy(Object.create(null) as IBlockDeviceAPI, {
      get: (_blank, property) => {
        const value: unknown = Reflect.get(target, property, target);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) =>
          counted(() => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args));
      },
    });
    const exec: Exec = (file, args) => counted(() => this.#exec(file, args));
    return {
      api,
      exec,
      link: this.#link,
      readMounts: this.#readMounts,
      logger: this.#logger,
      instanceId,
      mountRoot: this.#mountRoot,
    };
  }

  #die(): void {
    (this.#faults.kill ?? (() => process.kill(process.pid, 'SIGKILL')))();
  }
}
