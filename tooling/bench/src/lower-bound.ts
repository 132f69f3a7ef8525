import type { RateLimits, TokenBucketShape } from '@flockerjs/cloud-emulator';

/**
 * The earliest time each of a set of calls can be admitted by a token bucket that is full at time 0, when call
 * k cannot be made before `ready[k]` (ms): calls in order of readiness, each taking a token as soon as there is
 * one. The bucket's own refill is the only limit; no client can do better.
 */
export function admissionTimes(ready: readonly number[], shape: TokenBucketShape): number[] {
  let tokens = shape.capacity;
  let at = 0;
  return [...ready]
    .sort((a, b) => a - b)
    .map((readyAt) => {
      const start = Math.max(readyAt, at);
      tokens = Math.min(shape.capacity, tokens + ((start - at) / 1000) * shape.refillPerSecond);
      at = start;
      if (tokens < 1) {
        const wait = ((1 - tokens) / shape.refillPerSecond) * 1000;
        at += wait;
        tokens = 1;
      }
      tokens -= 1;
      return at;
    });
}

/** One step of a volume's life: the call that starts it, its bucket, and the transition that follows. */
export interface Step {
  readonly bucket: TokenBucketShape;
  readonly transitionMs: number;
}

/**
 * The lower bound of a phase in which `count` volumes each go through `steps` in order, all in parallel: each
 * step's call admitted by its bucket as early as it can be, then its transition. Returns when the last volume
 * ends its last transition (ms). Only the calls a volume cannot do without count (create, attach, detach,
 * delete); describes are the driver's own overhead.
 */
export function phaseLowerBoundMs(count: number, steps: readonly Step[]): number {
  let ready = Array.from({ length: count }, () => 0);
  for (const step of steps) {
    ready = admissionTimes(ready, step.bucket).map((admitted) => admitted + step.transitionMs);
  }
  return Math.max(0, ...ready);
}

/**
 * The lower bound of the whole run: phase 1 creates every volume and attaches it (create bucket, transition,
 * attach bucket, transition), phase 2 detaches and deletes it (detach bucket, transition, delete bucket,
 * transition); the phases follow each other, as the scenario's do.
 */
export function fleetLowerBoundMs(
  datasets: number,
  transitionMs: number,
  limits: RateLimits,
  [create, attach, detach, remove]: readonly string[],
): number {
  const bucket = (name: string | undefined): TokenBucketShape => {
    const shape = name === undefined ? undefined : limits[name];
    if (shape === undefined) throw new TypeError(`no rate limit for ${name}`);
    return shape;
  };
  const step = (name: string | undefined) => ({ bucket: bucket(name), transitionMs });
  return (
    phaseLowerBoundMs(datasets, [step(create), step(attach)]) +
    phaseLowerBoundMs(datasets, [step(detach), step(remove)])
  );
}
