import type { FaultOptions } from '@flockerjs/cloud-emulator';
import { expect, it } from 'vitest';
import { describeEmulatedConformance, skipUnlessRoot, TEST_TIMINGS } from './emulated-cloud.js';

/**
 * The suite again, with the faults EC2 users meet, every one dealt per call so that each run meets them all:
 * throttling of every 40th call of each operation, server errors on every 25th (half of them
 * after the call took effect, so only idempotency saves the retry), new volumes missing from their first
 * looks, and volumes held creating, attaching, busy or detaching for a few calls. Faults that end in a
 * terminal state (create or attach to `error`) fail the operation by design; ebs-driver.test.ts holds them.
 */
const FAULTS: FaultOptions = {
  throttleEvery: { every: 40 },
  serverErrors: { every: 25 },
  newVolumeInvisibleLooks: 2,
  latencyMs: { '*': 3 },
  lifecycle: {
    'stuck-creating': { every: 5, holdCalls: 4 },
    'stuck-attaching': { every: 4, holdCalls: 3 },
    'busy-detach': { every: 3, holdCalls: 4 },
    'stuck-detaching': { every: 5, holdCalls: 3 },
  },
};

const emulator = describeEmulatedConformance('aws (emulated, faults injected)', {
  timings: TEST_TIMINGS,
  faults: FAULTS,
  instances: [{ deviceMode: 'nitro' }],
});

it.skipIf(skipUnlessRoot() !== undefined)('the faults were really injected', () => {
  const injected = Object.fromEntries(emulator().faults.injected);
  const dealt = expect.any(Number);
  expect(injected, JSON.stringify(injected)).toMatchObject({
    throttle: dealt,
    'fail-before': dealt,
    'fail-after': dealt,
    invisible: dealt,
    'stuck-creating': dealt,
    'stuck-attaching': dealt,
    'busy-detach': dealt,
    'stuck-detaching': dealt,
  });
});
