import { expect, it } from 'vitest';
import { describeEmulatedConformance, skipUnlessRoot, TEST_TIMINGS } from './emulated-cloud.js';

/**
 * The suite again, with the faults EC2 users meet: per-operation token buckets small enough to throttle,
 * server errors (half of them after the call took effect, so only idempotency saves the retry), new volumes
 * invisible for a while, and slower answers.
 */
const FAULTS = {
  seed: 4,
  throttle: { capacity: 12, refillPerSecond: 25 },
  serverErrors: { rate: 0.04 },
  newVolumeInvisibleLooks: 2,
  latencyMs: { '*': 3 },
} as const;

const emulator = describeEmulatedConformance(
  'aws (emulated, faults injected)',
  { timings: TEST_TIMINGS, faults: FAULTS, instances: [{ deviceMode: 'nitro' }] },
  { consistency: { attempts: 20, intervalMs: 100 } },
);

it.skipIf(skipUnlessRoot() !== undefined)('the faults were really injected', () => {
  const injected = Object.fromEntries(emulator().faults.injected);
  expect(injected, JSON.stringify(injected)).toMatchObject({
    throttle: expect.any(Number),
    'fail-before': expect.any(Number),
    'fail-after': expect.any(Number),
  });
});
