import { type Clock, systemClock } from '@flockerjs/core-interface';

/** The pause after the first throttled reply of a streak; each throttled round after it doubles the pause. */
export const THROTTLE_FIRST_PAUSE_MS = 100;
/**
 * The longest pause: short enough that a bucket refilling at a few tokens a second is never left idle long
 * while calls wait (the SDK's own backoff grows to 20 s, and the last calls of a burst slept through seconds of
 * refilled tokens).
 */
export const THROTTLE_MAX_PAUSE_MS = 1_000;
/** How long a call let through while throttled may take to report before the next one goes anyway. */
export const PROBE_REPORT_MS = 30_000;
/** How long one EC2 call may keep being throttled before it fails, unless configured. */
export const DEFAULT_THROTTLE_WAIT_MS = 60_000;
/** First delay before retrying a server error or a network failure, doubled per retry, up to 20 s (the SDK's). */
const SERVER_ERROR_FIRST_DELAY_MS = 100;
const SERVER_ERROR_MAX_DELAY_MS = 20_000;

export interface ThrottleGateOptions {
  readonly clock?: Clock | undefined;
  /** Jitter source, [0, 1). @default Math.random */
  readonly random?: (() => number) | undefined;
}

/**
 * Client-side pacing of one EC2 action's calls (EC2 keeps a token bucket per action, so a throttled DetachVolume
 * says nothing about DescribeVolumes). While the action is not throttled, calls go at once. After a throttled
 * reply, calls (new ones and retries, first come first served) go one at a time: each waits for a pause that
 * doubles, with jitter, per throttled reply up to {@link THROTTLE_MAX_PAUSE_MS}, and a call that gets through
 * lets the next one go at once and takes one step off the streak; back at zero, calls flow freely again. So a
 * burst of throttled calls is neither retried all together (each round throttled again) nor left asleep while
 * the bucket refills.
 */
export class ThrottleGate {
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #queue: (() => void)[] = [];
  #pausedUntil = 0;
  #streak = 0;
  /** A call let through while throttled has not reported yet. */
  #probing = false;
  #probeStarted = 0;
  #pumping = false;
  #wake: AbortController | undefined;

  constructor(options: ThrottleGateOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
  }

  /** Throttled replies in a row, less the calls that got through since. */
  get streak(): number {
    return this.#streak;
  }

  /** No call before this time (clock ms). */
  get pausedUntil(): number {
    return this.#pausedUntil;
  }

  /** Calls waiting to go. */
  get waiting(): number {
    return this.#queue.length;
  }

  /**
   * Resolves when a call may be sent. Every call that went must report its outcome: {@link throttled},
   * {@link passed} or {@link settled}.
   */
  async open(): Promise<void> {
    if (this.#streak === 0 && this.#queue.length === 0 && !this.#probing) return;
    await new Promise<void>((resolve) => {
      this.#queue.push(resolve);
      void this.#pump();
    });
  }

  /**
   * A call was throttled: the streak grows and the gate pauses, unless the reply belongs to a round already
   * paused for (a call sent before the pause started).
   */
  throttled(): void {
    const now = this.#clock.now();
    if (this.#probing || now >= this.#pausedUntil) {
      this.#streak += 1;
      const ceiling = Math.min(THROTTLE_MAX_PAUSE_MS, THROTTLE_FIRST_PAUSE_MS * 2 ** (this.#streak - 1));
      this.#pausedUntil = now + ceiling * (0.5 + this.#random() / 2);
    }
    this.#next();
  }

  /** A call got through: the streak shrinks by one and the next call goes. */
  passed(): void {
    this.#streak = Math.max(0, this.#streak - 1);
    this.#next();
  }

  /** A call ended otherwise (a server error, a refusal): the next call goes; the streak stays. */
  settled(): void {
    this.#next();
  }

  #next(): void {
    this.#probing = false;
    this.#wake?.abort();
    void this.#pump();
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#queue.length > 0) {
        const now = this.#clock.now();
        const wait = this.#probing ? this.#probeStarted + PROBE_REPORT_MS - now : this.#pausedUntil - now;
        if (wait > 0) {
          // A report (or a throttle that moved the pause) wakes the pump early.
          const wake = new AbortController();
          this.#wake = wake;
          await this.#clock.sleep(wait, wake.signal).catch(() => {});
          this.#wake = undefined;
          continue;
        }
        if (this.#probing) {
          // The call let through never reported (a request that hangs): the action does not hang with it.
          this.#probing = false;
        } else if (this.#streak === 0) {
          for (const go of this.#queue.splice(0)) go();
        } else {
          this.#probing = true;
          this.#probeStarted = now;
          this.#queue.shift()?.();
        }
      }
    } finally {
      this.#pumping = false;
    }
  }
}

/** What the SDK's retry middleware tells a strategy about a failed try (`@smithy/types` RetryErrorInfo). */
export interface RetryErrorInfo {
  readonly errorType: 'THROTTLING' | 'TRANSIENT' | 'SERVER_ERROR' | 'CLIENT_ERROR';
}

/** One call's tries so far, as the SDK's retry middleware reads them (`@smithy/types` RetryToken). */
export class GateRetryToken {
  /** Tries after the first, throttled ones included: the SDK reports `attempts` as this plus one. */
  readonly retries: number;
  /** Retries of server errors and network failures, which `maxAttempts` bounds. */
  readonly failures: number;
  /** When this call was first throttled (clock ms). */
  readonly throttledSince: number | undefined;

  constructor(retries: number, failures: number, throttledSince: number | undefined) {
    this.retries = retries;
    this.failures = failures;
    this.throttledSince = throttledSince;
  }

  getRetryCount(): number {
    return this.retries;
  }

  /** Always 0: the strategy has waited already, on its own clock. */
  getRetryDelay(): number {
    return 0;
  }
}

export interface GateRetryOptions extends ThrottleGateOptions {
  /** The action's gate, shared by every call of the action. */
  readonly gate: ThrottleGate;
  /** Tries per call for server errors and network failures (throttled tries are not counted). */
  readonly maxAttempts: number;
  /** How long one call may keep being throttled before it fails with the throttle (clock ms). */
  readonly throttleWaitMs: number;
}

/**
 * The SDK retry strategy (`RetryStrategyV2`) of one EC2 action: every try waits at the action's
 * {@link ThrottleGate}; a throttled try is retried when the gate opens again, for up to `throttleWaitMs`; a
 * server error or network failure is retried after an exponential, jittered delay, up to `maxAttempts` tries;
 * anything else is not retried.
 */
export class GateRetryStrategy {
  readonly #options: GateRetryOptions;
  readonly #clock: Clock;
  readonly #random: () => number;

  constructor(options: GateRetryOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
  }

  async acquireInitialRetryToken(_scope: string): Promise<GateRetryToken> {
    await this.#options.gate.open();
    return new GateRetryToken(0, 0, undefined);
  }

  /** @throws when the try is not to be retried; the SDK then rejects the call with the try's error. */
  async refreshRetryTokenForRetry(token: GateRetryToken, info: RetryErrorInfo): Promise<GateRetryToken> {
    const { gate, maxAttempts, throttleWaitMs } = this.#options;
    if (info.errorType === 'THROTTLING') {
      const since = token.throttledSince ?? this.#clock.now();
      gate.throttled();
      if (gate.pausedUntil - since > throttleWaitMs) throw new Error('throttled for too long');
      await gate.open();
      if (this.#clock.now() - since > throttleWaitMs) {
        gate.settled();
        throw new Error('throttled for too long');
      }
      return new GateRetryToken(token.retries + 1, token.failures, since);
    }
    gate.settled();
    if (info.errorType === 'TRANSIENT' && token.failures + 1 < maxAttempts) {
      const ceiling = Math.min(SERVER_ERROR_MAX_DELAY_MS, SERVER_ERROR_FIRST_DELAY_MS * 2 ** token.failures);
      await this.#clock.sleep(Math.floor(this.#random() * ceiling));
      await gate.open();
      return new GateRetryToken(token.retries + 1, token.failures + 1, token.throttledSince);
    }
    throw new Error('not retried');
  }

  recordSuccess(_token: GateRetryToken): void {
    this.#options.gate.passed();
  }
}
