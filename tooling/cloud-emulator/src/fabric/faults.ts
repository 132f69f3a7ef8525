/**
 * Fault injection shared by every front end: each front end asks {@link Faults} before it runs an operation
 * (named as its API names it, e.g. `DescribeVolumes`), and the fabric asks it which volume transitions go
 * wrong. Every fault is decided per call, never by a clock: randomness comes from a seeded generator and
 * lifecycle faults hit the n-th call of a fabric operation, so a run replays exactly and a test checks what
 * was injected ({@link Faults.injected}), not what a timer allowed.
 */

import type { RateLimits, TokenBucketShape } from './rate-limits.js';

/**
 * Which calls of a fabric operation (create, attach or detach, counted from 1 since the last
 * {@link Faults.set}) a lifecycle fault hits, and for how long a held state lasts.
 */
export interface CallSchedule {
  /** The n-th calls. */
  readonly calls?: readonly number[];
  /** Every k-th call: k, 2k, 3k, ... */
  readonly every?: number;
  /**
   * For held states (stuck, busy): how many front-end calls (any operation, any front end) the state lasts
   * before the transition goes on as usual. @default held until released (`Fabric.release`, a forced
   * detach, or a delete where the API allows it)
   */
  readonly holdCalls?: number;
}

/** The lifecycle faults, by the fabric operation whose calls they count. */
export const LIFECYCLE_FAULTS = {
  /** The volume ends in `error` instead of `available`. */
  'create-error': 'create',
  /** The volume stays `creating`. */
  'stuck-creating': 'create',
  /** The attachment fails: the volume ends in `error`, unattached. */
  'attach-error': 'attach',
  /** The attachment stays `attaching`. */
  'stuck-attaching': 'attach',
  /** The device is in use on the instance: the attachment shows `busy` and does not detach. */
  'busy-detach': 'detach',
  /** The attachment stays `detaching`. */
  'stuck-detaching': 'detach',
} as const;
export type LifecycleFault = keyof typeof LIFECYCLE_FAULTS;
export type FabricOperation = (typeof LIFECYCLE_FAULTS)[LifecycleFault];

export interface FaultOptions {
  /** Seed of the generator behind every rate below. @default 1 */
  readonly seed?: number;
  /**
   * Per-operation token buckets, shaped like EC2's request rate limiting: every operation has its own bucket
   * of `capacity` tokens refilled at `refillPerSecond`; a call finding it empty is throttled.
   */
  readonly throttle?: {
    readonly capacity: number;
    readonly refillPerSecond: number;
    readonly operations?: readonly string[];
  };
  /**
   * Token buckets per bucket name, as a cloud's request rate limits: a call of an operation draws from the
   * bucket its front end names (the operation, or a variant such as `DescribeVolumes:unfiltered`, falling back
   * to the operation's own); operations without a bucket are not limited. `EC2_RATE_LIMITS` and
   * `OPENSTACK_RATE_LIMITS` are ready-made. Its clock is `clock`.
   */
  readonly rateLimits?: RateLimits;
  /** Every k-th call of each operation (counted per operation) is throttled: the bucket's effect, per call. */
  readonly throttleEvery?: { readonly every: number; readonly operations?: readonly string[] };
  /**
   * Calls answered with a server error, before the operation is applied or after it (the reply is lost: what
   * makes idempotency tokens matter): a share (`rate`, 0-1, drawn from the seeded generator in call order, so
   * concurrent callers change who meets them) or, counted per operation, every k-th call (`every`: a retry of a
   * failed call is never failed again, whatever else runs) or the n-th calls (`calls`). @default when 'either',
   * half and half (counted per operation: alternately, the first before)
   */
  readonly serverErrors?: {
    readonly rate?: number;
    readonly every?: number;
    readonly calls?: readonly number[];
    readonly operations?: readonly string[];
    readonly when?: 'before' | 'after' | 'either';
  };
  /** Extra delay before every answer, per operation name or for all (`*`). */
  readonly latencyMs?: Readonly<Record<string, number>>;
  /**
   * A new volume is missing from this many looks at it (a listing or a lookup by id that would show it):
   * eventual consistency, counted per call.
   */
  readonly newVolumeInvisibleLooks?: number;
  /** The throttle buckets' clock, which a test may drive by hand. @default the constructor's */
  readonly clock?: () => number;
  /** Volume types that have no capacity left: every create of one is refused (`insufficient-capacity`). */
  readonly exhaustedVolumeTypes?: readonly string[];
  /** Volume lifecycle faults, each on the calls its schedule picks. */
  readonly lifecycle?: Readonly<Partial<Record<LifecycleFault, CallSchedule>>>;
}

/** A lifecycle fault chosen for one call, with how many front-end calls its held state lasts. */
export interface LifecycleVerdict {
  readonly fault: LifecycleFault;
  /** Held until released when undefined. */
  readonly holdCalls: number | undefined;
}

/** What the front end does with a call, decided before it runs. */
export type Verdict = 'proceed' | 'throttle' | 'fail-before' | 'fail-after';

interface Bucket {
  tokens: number;
  updatedMs: number;
}

export class Faults {
  #options: FaultOptions = {};
  #random: () => number = mulberry32(1);
  #buckets = new Map<string, Bucket>();
  #ordinals = new Map<string, number>();
  #calls = 0;
  readonly #callListeners = new Set<(calls: number) => void>();
  readonly #now: () => number;
  /** Counts of injected faults by kind, for tests that check a fault really happened. */
  readonly injected: Map<string, number> = new Map();
  /** Throttled calls by operation, for tests and benchmarks (reset by {@link set}, like the buckets). */
  readonly throttled: Map<string, number> = new Map();

  constructor(options: FaultOptions = {}, now: () => number = Date.now) {
    this.#now = now;
    this.set(options);
  }

  /** Replaces the whole plan (per run), resetting buckets and the generator. */
  set(options: FaultOptions): void {
    this.#options = options;
    this.#random = mulberry32(options.seed ?? 1);
    this.#buckets.clear();
    this.#ordinals.clear();
    this.throttled.clear();
  }

  get options(): FaultOptions {
    return this.#options;
  }

  /** Front-end calls so far (every {@link verdict}); held states count their length in these. */
  get calls(): number {
    return this.#calls;
  }

  /** Calls `listener` after each front-end call, with the count so far. */
  onCall(listener: (calls: number) => void): () => void {
    this.#callListeners.add(listener);
    return () => this.#callListeners.delete(listener);
  }

  /**
   * Decides the fate of one call of `operation`; every front end asks once per call it receives. `bucket` names
   * the rate-limit bucket the call draws from when it is not the operation's own.
   */
  verdict(operation: string, bucket: string = operation): Verdict {
    this.#calls += 1;
    for (const listener of this.#callListeners) listener(this.#calls);
    const limits = this.#options.rateLimits;
    const shape = limits?.[bucket] ?? limits?.[operation];
    if (shape !== undefined && !this.#take(limits?.[bucket] === undefined ? operation : bucket, shape)) {
      return this.#throttle(operation);
    }
    const throttle = this.#options.throttle;
    if (
      throttle !== undefined &&
      applies(throttle.operations, operation) &&
      !this.#take(operation, throttle)
    ) {
      return this.#throttle(operation);
    }
    const every = this.#options.throttleEvery;
    if (every !== undefined && applies(every.operations, operation)) {
      if (this.#next(`throttle:${operation}`) % every.every === 0) return this.#throttle(operation);
    }
    const errors = this.#options.serverErrors;
    if (errors !== undefined && applies(errors.operations, operation)) {
      const perCall = errors.every !== undefined || errors.calls !== undefined;
      const hit = perCall
        ? hits(errors, this.#next(`error:${operation}`))
        : this.#random() < (errors.rate ?? 0);
      if (hit) {
        const when = errors.when ?? 'either';
        const half = () => (perCall ? this.#next(`errors:${operation}`) % 2 === 0 : this.#random() < 0.5);
        return this.#count((when === 'either' ? half() : when === 'after') ? 'fail-after' : 'fail-before');
      }
    }
    return 'proceed';
  }

  /** The delay to add before answering one call of `operation` (counted as `latency` when there is one). */
  latencyMs(operation: string): number {
    const latency = this.#options.latencyMs;
    const ms = latency?.[operation] ?? latency?.['*'] ?? 0;
    if (ms > 0) this.#count('latency');
    return ms;
  }

  /** How many looks a volume created now is missing from. */
  invisibleLooks(): number {
    const looks = this.#options.newVolumeInvisibleLooks ?? 0;
    if (looks > 0) this.#count('invisible');
    return looks;
  }

  /** Counts one call of a fabric `operation` and says which lifecycle fault, if any, it gets. */
  lifecycle(operation: FabricOperation): LifecycleVerdict | undefined {
    const ordinal = this.#next(operation);
    for (const [fault, schedule] of Object.entries(this.#options.lifecycle ?? {}) as [
      LifecycleFault,
      CallSchedule,
    ][]) {
      if (LIFECYCLE_FAULTS[fault] !== operation || !hits(schedule, ordinal)) continue;
      this.#count(fault);
      return { fault, holdCalls: schedule.holdCalls };
    }
    return undefined;
  }

  /** Counts one more call of whatever `counter` names, from 1 since the last {@link set}. */
  #next(counter: string): number {
    const ordinal = (this.#ordinals.get(counter) ?? 0) + 1;
    this.#ordinals.set(counter, ordinal);
    return ordinal;
  }

  /** Counts a fault dealt outside this class (by the fabric or a front end). */
  record(kind: string): void {
    this.#count(kind);
  }

  #throttle(operation: string): 'throttle' {
    this.throttled.set(operation, (this.throttled.get(operation) ?? 0) + 1);
    return this.#count('throttle');
  }

  /** Takes a token from bucket `name` (full when first used), refilled for the time since it was last used. */
  #take(name: string, { capacity, refillPerSecond }: TokenBucketShape): boolean {
    const now = (this.#options.clock ?? this.#now)();
    const bucket = this.#buckets.get(name) ?? { tokens: capacity, updatedMs: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.updatedMs) / 1000) * refillPerSecond);
    bucket.updatedMs = now;
    this.#buckets.set(name, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  #count<T extends string>(kind: T): T {
    this.injected.set(kind, (this.injected.get(kind) ?? 0) + 1);
    return kind;
  }
}

function hits(schedule: Pick<CallSchedule, 'calls' | 'every'>, ordinal: number): boolean {
  const every = schedule.every;
  return (
    (schedule.calls?.includes(ordinal) ?? false) ||
    (every !== undefined && every > 0 && ordinal % every === 0)
  );
}

function applies(operations: readonly string[] | undefined, operation: string): boolean {
  return operations === undefined || operations.includes(operation);
}

/** A small seeded generator (mulberry32): reproducible fault sequences without a dependency. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
