import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { TimeoutError } from './errors.js';

/** What one poll saw: the awaited value, or the state it is still in. */
export type PollResult<T> =
  | { readonly done: true; readonly value: T }
  | { readonly done: false; readonly state: unknown };

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleep(ms, undefined, signal === undefined ? undefined : { signal }),
};

export interface WaitOptions<T> {
  /** What is awaited, for the `TIMEOUT` message: "volume vol-1 to become available". */
  readonly what: string;
  /** Looks once. Errors it throws end the wait, unless they are retryable as `retryable` says. */
  readonly poll: (signal: AbortSignal | undefined) => Promise<PollResult<T>>;
  /** Total time allowed, from the first poll. */
  readonly timeoutMs: number;
  /** Delay before the first poll. @default 0 */
  readonly initialDelayMs?: number;
  /** First delay between polls, multiplied by `factor` after each, up to `maxIntervalMs`. @default 100 */
  readonly intervalMs?: number;
  /** @default 2 */
  readonly factor?: number;
  /** @default 5000 */
  readonly maxIntervalMs?: number;
  /** Errors that count as "not yet" instead of ending the wait (a throttled call, a listing that lags). */
  readonly retryable?: (error: unknown) => boolean;
  /** Called after every poll that was not done, for progress output. */
  readonly onPending?: (state: unknown, elapsedMs: number) => void;
  readonly signal?: AbortSignal;
  readonly clock?: Clock;
}

/**
 * Polls until `poll` says done, with exponential backoff, never past `timeoutMs`.
 * @throws `TIMEOUT` naming `what` and the last state seen; the signal's reason when aborted.
 */
export async function waitFor<T>(options: WaitOptions<T>): Promise<T> {
  const clock = options.clock ?? systemClock;
  const factor = options.factor ?? 2;
  const maxInterval = options.maxIntervalMs ?? 5000;
  let interval = options.intervalMs ?? 100;
  let lastState: unknown;
  if (options.initialDelayMs) await clock.sleep(options.initialDelayMs, options.signal);
  const start = clock.now();
  const deadline = start + options.timeoutMs;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const result = await options.poll(options.signal);
      if (result.done) return result.value;
      lastState = result.state;
    } catch (error) {
      if (!options.retryable?.(error)) throw error;
      lastState = { error: error instanceof Error ? error.message : String(error) };
    }
    const now = clock.now();
    options.onPending?.(lastState, now - start);
    if (now >= deadline) throw new TimeoutError(options.what, options.timeoutMs, lastState);
    await clock.sleep(Math.min(interval, deadline - now), options.signal);
    interval = Math.min(interval * factor, maxInterval);
  }
}

/** How one waiter of a {@link SharedPoller} reads each round's answer. */
export interface SharedWaitOptions<V, T> {
  /** What is awaited, for the `TIMEOUT` message. */
  readonly what: string;
  /** The key looked up for this waiter (a volume id). */
  readonly key: string;
  /**
   * Reads this waiter's value in one round's answer, `undefined` when the answer lacks the key. Errors it throws
   * end this wait only.
   */
  readonly check: (value: V | undefined) => PollResult<T>;
  /** Total time allowed, from the first round this waiter joins. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

export interface SharedPollerOptions<V> {
  /**
   * Looks up many keys in one call (one describe per round). The answer maps the keys it found; a key it lacks
   * was not found.
   */
  readonly fetch: (keys: readonly string[]) => Promise<ReadonlyMap<string, V>>;
  /** First delay between two rounds a waiter sees, multiplied by `factor` after each. @default 100 */
  readonly intervalMs?: number;
  /** @default 2 */
  readonly factor?: number;
  /** @default 5000 */
  readonly maxIntervalMs?: number;
  /** Failures of `fetch` that make a round "not yet" for every waiter (a throttle, a 5xx) instead of ending them. */
  readonly retryable?: (error: unknown) => boolean;
  /** The delay a failure asks for (`Retry-After`): a floor on the time before the next round. */
  readonly retryAfterMs?: (error: unknown) => number | undefined;
  readonly clock?: Clock;
  /** Jitter source, [0, 1). @default Math.random */
  readonly random?: () => number;
}

/** Rounds of a {@link SharedPoller}, for tests and benchmarks. */
export interface SharedPollerStats {
  /** `fetch` calls made. */
  readonly rounds: number;
  /** Rounds whose `fetch` failed with a retryable error. */
  readonly failedRounds: number;
}

interface Waiter<V> {
  readonly options: SharedWaitOptions<V, unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  /** A {@link SharedPoller.look}: one round, whose failure it shares. */
  readonly once: boolean;
  /** Set by the first round that includes this waiter. */
  deadline: number | undefined;
  nextAt: number;
  interval: number;
  lastState: unknown;
}

/**
 * Concurrent waits that share one look per round: every round makes one `fetch` call with the keys of all
 * current waiters, and each waiter reads its own value in the answer (the EBS CSI driver's DescribeVolumes
 * batcher). A round starts when the most eager waiter is due, so a waiter polls at least as often as its own
 * backoff asks; a round in flight is never doubled: waiters joining meanwhile ride the next one. A failed round
 * that is retryable backs every waiter off, exponentially with jitter, never sooner than the failure's
 * `retryAfterMs`; any other failure ends the waits of that round.
 */
export class SharedPoller<V> {
  readonly #options: SharedPollerOptions<V>;
  readonly #clock: Clock;
  readonly #waiters = new Set<Waiter<V>>();
  #running = false;
  #wake: AbortController | undefined;
  /** No round before this time: the backoff after a failed round. */
  #blockedUntil = 0;
  #failureStreak = 0;
  #rounds = 0;
  #failedRounds = 0;

  constructor(options: SharedPollerOptions<V>) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  get stats(): SharedPollerStats {
    return { rounds: this.#rounds, failedRounds: this.#failedRounds };
  }

  /**
   * Waits until `check` says done in some round.
   * @throws `TIMEOUT` naming `what` and the last state seen; what `check` or a non-retryable `fetch` threw; the
   *   signal's reason when aborted.
   */
  wait<T>(options: SharedWaitOptions<V, T>): Promise<T> {
    return this.#join(options, false);
  }

  /**
   * One look at `key` in the next round, shared with every waiter: its value, `undefined` when the answer lacks
   * it. @throws what that round's `fetch` threw, retryable or not.
   */
  look(key: string, signal?: AbortSignal): Promise<V | undefined> {
    return this.#join<V | undefined>(
      {
        what: key,
        key,
        check: (value) => ({ done: true, value }),
        timeoutMs: 0,
        ...(signal === undefined ? {} : { signal }),
      },
      true,
    );
  }

  #join<T>(options: SharedWaitOptions<V, T>, once: boolean): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      options.signal?.throwIfAborted();
      const waiter: Waiter<V> = {
        options: options as SharedWaitOptions<V, unknown>,
        resolve: resolve as (value: unknown) => void,
        reject,
        once,
        deadline: undefined,
        nextAt: this.#clock.now(),
        interval: this.#options.intervalMs ?? 100,
        lastState: undefined,
      };
      options.signal?.addEventListener(
        'abort',
        () => this.#settle(waiter, () => reject(options.signal?.reason)),
        { once: true },
      );
      this.#waiters.add(waiter);
      this.#wake?.abort();
      if (!this.#running) void this.#run();
    });
  }

  #settle(waiter: Waiter<V>, settle: () => void): void {
    if (this.#waiters.delete(waiter)) settle();
  }

  async #run(): Promise<void> {
    this.#running = true;
    try {
      // Waits started in the same turn (a burst of creates) share the first round too.
      await nextTurn();
      while (this.#waiters.size > 0) {
        const now = this.#clock.now();
        const due = Math.max(this.#blockedUntil, Math.min(...[...this.#waiters].map((w) => w.nextAt)));
        if (due > now) {
          // A waiter joining wakes the loop early: it may be due sooner than the others.
          const wake = new AbortController();
          this.#wake = wake;
          await this.#clock.sleep(due - now, wake.signal).catch(() => {});
          this.#wake = undefined;
          continue;
        }
        await this.#round();
      }
    } finally {
      this.#running = false;
    }
  }

  async #round(): Promise<void> {
    const batch = [...this.#waiters];
    const started = this.#clock.now();
    for (const waiter of batch) waiter.deadline ??= started + waiter.options.timeoutMs;
    this.#rounds += 1;
    let answer: ReadonlyMap<string, V> | undefined;
    let failure: unknown;
    try {
      answer = await this.#options.fetch([...new Set(batch.map((waiter) => waiter.options.key))]);
    } catch (error) {
      failure = error;
    }
    const now = this.#clock.now();
    if (answer === undefined) {
      const final = !this.#options.retryable?.(failure);
      for (const waiter of batch) {
        if (final || waiter.once) this.#settle(waiter, () => waiter.reject(failure));
      }
      if (final) return;
      this.#failedRounds += 1;
      this.#failureStreak += 1;
      this.#blockedUntil = now + this.#backoff(failure);
    } else {
      this.#failureStreak = 0;
    }
    const max = this.#options.maxIntervalMs ?? 5000;
    for (const waiter of batch) {
      if (!this.#waiters.has(waiter)) continue;
      if (answer !== undefined) {
        let result: PollResult<unknown>;
        try {
          result = waiter.options.check(answer.get(waiter.options.key));
        } catch (error) {
          this.#settle(waiter, () => waiter.reject(error));
          continue;
        }
        if (result.done) {
          this.#settle(waiter, () => waiter.resolve(result.value));
          continue;
        }
        waiter.lastState = result.state;
      } else {
        waiter.lastState = { error: failure instanceof Error ? failure.message : String(failure) };
      }
      const deadline = waiter.deadline ?? now;
      if (now >= deadline) {
        const { what, timeoutMs } = waiter.options;
        this.#settle(waiter, () => waiter.reject(new TimeoutError(what, timeoutMs, waiter.lastState)));
        continue;
      }
      // Only a round this waiter was due for moves its backoff on: riding along with an eager newcomer's
      // rounds must not age it, or the last waiters of a burst would be looked at seconds late.
      if (started >= waiter.nextAt) {
        waiter.nextAt = Math.min(now + waiter.interval, deadline);
        waiter.interval = Math.min(waiter.interval * (this.#options.factor ?? 2), max);
      }
    }
  }

  /** Exponential backoff with jitter after consecutive failed rounds, never below the failure's own hint. */
  #backoff(failure: unknown): number {
    const base = this.#options.intervalMs ?? 100;
    const ceiling = Math.min(this.#options.maxIntervalMs ?? 5000, base * 2 ** this.#failureStreak);
    const jittered = ceiling * (0.5 + (this.#options.random ?? Math.random)() / 2);
    return Math.max(this.#options.retryAfterMs?.(failure) ?? 0, jittered);
  }
}
