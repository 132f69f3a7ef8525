import { setTimeout as sleep } from 'node:timers/promises';
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
