import { expect, it } from 'vitest';
import { describeEmulatedConformance, skipUnlessRoot } from './emulated-openstack.js';

// The whole suite again while the cloud misbehaves: throttling (429 with Retry-After: 0 here, so that the run
// stays short; honouring a real value is tested in driver.test.ts), 5xx before and after a call is applied
// (a lost create or attach reply), slow answers, volumes that end in error at creation (replaced), and
// creates, attaches and detaches held for a while. Nothing may leak; no wait may run out.
const emulator = describeEmulatedConformance('openstack (emulated, with faults)', {
  retryAfterSeconds: 0,
  faults: {
    // Dealt per call of each operation, never by a clock or in call order: a loaded machine makes fewer calls a
    // second (it would meet no bucket) and interleaves them differently (a shared random draw could fail one
    // create three times in a row).
    throttleEvery: { every: 6, operations: ['cinder:GetVolume', 'cinder:ListVolumes'] },
    serverErrors: {
      every: 9,
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
    lifecycle: {
      'create-error': { every: 7 },
      'stuck-creating': { every: 5, holdCalls: 3 },
      'stuck-attaching': { every: 4, holdCalls: 3 },
      'stuck-detaching': { every: 3, holdCalls: 3 },
    },
  },
});

// The run is only worth something if faults really happened, of every kind.
it.skipIf(skipUnlessRoot !== undefined)('the faults were really injected', () => {
  const injected = Object.fromEntries(emulator().faults.injected);
  expect(injected, JSON.stringify(injected)).toMatchObject({
    throttle: expect.any(Number),
    'fail-before': expect.any(Number),
    'fail-after': expect.any(Number),
    'create-error': expect.any(Number),
    'stuck-creating': expect.any(Number),
    'stuck-attaching': expect.any(Number),
    'stuck-detaching': expect.any(Number),
  });
});
