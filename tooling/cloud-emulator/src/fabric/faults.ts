/**
 * Fault injection shared by every front end: each front end asks {@link Faults} before and after it runs an
 * operation (named as its API names it, e.g. `DescribeVolumes`), and the fabric asks it about attachments.
 * Randomness comes from a seeded generator, so a failing run can be replayed.
 */
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
   * A share (0-1) of calls answered with a server error, before the operation is applied or after it (the
   * reply is lost: what makes idempotency tokens matter). @default when 'either', half and half
   */
  readonly serverErrors?: {
    readonly rate: number;
    readonly operations?: readonly string[];
    readonly when?: 'before' | 'after' | 'either';
  };
  /** Extra delay before every answer, per operation name or for all (`*`). */
  readonly latencyMs?: Readonly<Record<string, number>>;
  /** A new volume stays invisible to listings and lookups by id for this long: eventual consistency. */
  readonly newVolumeInvisibleMs?: number;
  /** The next this-many attachments stay in `attaching` until detached. */
  readonly stuckAttachments?: number;
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
  #stuckLeft = 0;
  readonly #now: () => number;
  /** Counts of injected faults by kind, for tests that check a fault really happened. */
  readonly injected: Map<string, number> = new Map();

  constructor(options: FaultOptions = {}, now: () => number = Date.now) {
    this.#now = now;
    this.set(options);
  }

  /** Replaces the whole plan (per run), resetting buckets and the generator. */
  set(options: FaultOptions): void {
    this.#options = options;
    this.#random = mulberry32(options.seed ?? 1);
    this.#buckets.clear();
    this.#stuckLeft = options.stuckAttachments ?? 0;
  }

  get options(): FaultOptions {
    return this.#options;
  }

  /** Decides the fate of one call of `operation`. */
  verdict(operation: string): Verdict {
    const throttle = this.#options.throttle;
    if (throttle !== undefined && applies(throttle.operations, operation) && !this.#take(operation)) {
      return this.#count('throttle');
    }
    const errors = this.#options.serverErrors;
    if (errors !== undefined && applies(errors.operations, operation) && this.#random() < errors.rate) {
      const when = errors.when ?? 'either';
      const after = when === 'either' ? this.#random() < 0.5 : when === 'after';
      return this.#count(after ? 'fail-after' : 'fail-before');
    }
    return 'proceed';
  }

  latencyMs(operation: string): number {
    const latency = this.#options.latencyMs;
    return latency?.[operation] ?? latency?.['*'] ?? 0;
  }

  /** When a volume created now becomes visible. */
  visibleFrom(createdMs: number): number {
    return createdMs + (this.#options.newVolumeInvisibleMs ?? 0);
  }

  /** Whether the attachment starting now gets stuck in `attaching`. */
  takeStuckAttachment(): boolean {
    if (this.#stuckLeft <= 0) return false;
    this.#stuckLeft -= 1;
    this.#count('stuck-attaching');
    return true;
  }

  #take(operation: string): boolean {
    const { capacity, refillPerSecond } = this.#options.throttle ?? { capacity: 0, refillPerSecond: 0 };
    const now = this.#now();
    const bucket = this.#buckets.get(operation) ?? { tokens: capacity, updatedMs: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.updatedMs) / 1000) * refillPerSecond);
    bucket.updatedMs = now;
    this.#buckets.set(operation, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  #count<T extends string>(kind: T): T {
    this.injected.set(kind, (this.injected.get(kind) ?? 0) + 1);
    return kind;
  }
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
