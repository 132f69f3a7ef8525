import { type CloudEmulator, startCloudEmulator } from '@flockerjs/cloud-emulator';
import { describeBlockDeviceAPI } from '@flockerjs/conformance';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GIB } from '../src/index.js';
import {
  emulatedFactory,
  inspectFabric,
  instanceOf,
  leftovers,
  skipUnlessRoot,
  TEST_TIMINGS,
  unknownVolumeId,
} from './emulated-cloud.js';

/**
 * The suite again, with the faults EC2 users meet: per-operation token buckets small enough to throttle,
 * server errors (half of them after the call took effect, so only idempotency saves the retry), new volumes
 * invisible for a while, and slower answers.
 */
const FAULTS = {
  seed: 4,
  throttle: { capacity: 12, refillPerSecond: 25 },
  serverErrors: { rate: 0.04 },
  newVolumeInvisibleMs: 250,
  latencyMs: { '*': 3 },
} as const;

let emulator: CloudEmulator;
beforeAll(async () => {
  if (skipUnlessRoot() === undefined) {
    emulator = await startCloudEmulator({
      timings: TEST_TIMINGS,
      faults: FAULTS,
      instances: [{ deviceMode: 'nitro' }],
    });
  }
});
afterAll(() => emulator?.stop());

describeBlockDeviceAPI({
  name: 'aws (emulated, faults injected)',
  factory: emulatedFactory(
    () => emulator,
    () => instanceOf(emulator, 0),
  ),
  minimumAllocatableSize: GIB,
  unknownBlockDeviceId: unknownVolumeId,
  inspect: inspectFabric(() => emulator),
  consistency: { attempts: 20, intervalMs: 100 },
  skip: skipUnlessRoot(),
});

it.skipIf(skipUnlessRoot() !== undefined)(
  'the faults were really injected, and nothing was left behind',
  async () => {
    const injected = Object.fromEntries(emulator.faults.injected);
    expect(injected, JSON.stringify(injected)).toMatchObject({
      throttle: expect.any(Number),
      'fail-before': expect.any(Number),
      'fail-after': expect.any(Number),
    });
    expect(await leftovers(emulator)).toEqual({ volumes: [], loopDevices: [], errors: [] });
  },
);
