import { randomUUID } from 'node:crypto';
import type { OpenStackEmulator } from '@flockerjs/cloud-emulator';
import { describeBlockDeviceAPI } from '@flockerjs/conformance';
import { afterAll, beforeAll, expect } from 'vitest';
import { MINIMUM_ALLOCATABLE_SIZE } from '../src/index.js';
import {
  inspector,
  openDriver,
  serverAt,
  skipUnlessRoot,
  startEmulator,
  stopAndCheck,
} from './emulated-openstack.js';

// The whole suite again while the cloud misbehaves: throttling (429 with Retry-After: 0 here, so that the run
// stays short; honouring a real value is tested in faults.test.ts), 5xx before and after a call is applied
// (a lost create or attach reply), and slow answers. Nothing may leak.
let emulator: OpenStackEmulator;
beforeAll(async () => {
  emulator = await startEmulator({
    retryAfterSeconds: 0,
    faults: {
      seed: 7,
      throttle: { capacity: 4, refillPerSecond: 8, operations: ['cinder:GetVolume', 'cinder:ListVolumes'] },
      serverErrors: {
        rate: 0.08,
        operations: [
          'cinder:CreateVolume',
          'cinder:GetVolume',
          'cinder:ListVolumes',
          'nova:AttachVolume',
          'nova:DetachVolume',
          'cinder:DeleteVolume',
        ],
      },
      latencyMs: { 'cinder:CreateVolume': 30, 'nova:AttachVolume': 30 },
    },
  });
});
afterAll(async () => {
  const injected = Object.fromEntries(emulator.faults.injected);
  await stopAndCheck(emulator);
  // The run is only worth something if faults really happened, of both kinds.
  expect(injected).toMatchObject({
    throttle: expect.any(Number),
    'fail-before': expect.any(Number),
    'fail-after': expect.any(Number),
  });
});

describeBlockDeviceAPI({
  name: 'openstack (emulated, with faults)',
  factory: () => openDriver(emulator, serverAt(emulator, 0), { clusterId: randomUUID() }),
  minimumAllocatableSize: MINIMUM_ALLOCATABLE_SIZE,
  unknownBlockDeviceId: () => randomUUID(),
  inspect: (id) => inspector(emulator)(id),
  skip: skipUnlessRoot,
});
