import { randomUUID } from 'node:crypto';
import { setImmediate } from 'node:timers/promises';
import type { OpenStackEmulator } from '@flockerjs/cloud-emulator';
import { type Clock, hasCode, waitFor } from '@flockerjs/core-interface';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { type CinderDriver, DATASET_ID_LABEL, GIB, MAX_ATTEMPTS } from '../src/index.js';
import { openDriver, serverAt, startEmulator, stopAndCheck } from './emulated-openstack.js';

/**
 * How long a condition may take on a loaded 2-core machine (two CI runs side by side): far beyond its usual
 * second or two, below the tests' own limit (tooling/vitest-config).
 */
const LOADED_MACHINE_MS = 180_000;

// Concurrent waits of one driver share their polls: one listing of the cluster's volumes per round instead of
// a GET per volume. Counted at the emulator, call by call; no devices (any user).
const WAITERS = 8;
let emulator: OpenStackEmulator;
beforeAll(async () => {
  emulator = await startEmulator({ devices: false });
});
afterAll(() => stopAndCheck(emulator));
beforeEach(() => emulator.faults.set({}));

const peer = () => serverAt(emulator, 1).id;
const createMany = (api: CinderDriver) =>
  Promise.all(Array.from({ length: WAITERS }, () => api.createVolume(randomUUID(), GIB)));
const calls = () => emulator.count('cinder:GetVolume') + emulator.count('cinder:ListVolumes');
async function cleanUp(api: CinderDriver, ids: readonly string[], attached: boolean): Promise<void> {
  for (const id of ids) {
    if (attached) await api.detachVolume(id);
    await api.destroyVolume(id);
  }
}

it('concurrent creates share one listing per polling round, not a GET per volume', async () => {
  emulator.faults.set({ lifecycle: { 'stuck-creating': { every: 1 } } });
  const api = await openDriver(emulator, serverAt(emulator, 0));
  const creates = createMany(api);
  await waitFor({
    what: `${WAITERS} volumes to be creating`,
    timeoutMs: LOADED_MACHINE_MS,
    poll: async () => {
      const held = emulator.fabric.held().length;
      return held === WAITERS ? { done: true, value: held } : { done: false, state: held };
    },
  });
  const before = { gets: emulator.count('cinder:GetVolume'), lists: emulator.count('cinder:ListVolumes') };
  await waitFor({
    what: 'six polling rounds',
    timeoutMs: LOADED_MACHINE_MS,
    poll: async () => {
      const rounds = emulator.count('cinder:ListVolumes') - before.lists;
      return rounds >= 6 ? { done: true, value: rounds } : { done: false, state: rounds };
    },
  });
  // Per-volume polls would have made a GET per volume per round, and no listing at all.
  expect(emulator.count('cinder:GetVolume') - before.gets).toBeLessThan(WAITERS);
  emulator.fabric.release();
  const volumes = await creates;
  await cleanUp(
    api,
    volumes.map((volume) => volume.blockDeviceId),
    false,
  );
});

it('a 429 with Retry-After is waited out and every wait still completes', async () => {
  const api = await openDriver(emulator, serverAt(emulator, 0));
  const volumes = await createMany(api);
  // The attaches are held until released, so the waits poll for as long as the throttled replies take to come:
  // how many rounds a loaded machine fits into a transition does not matter.
  emulator.faults.set({
    throttleEvery: { every: 3, operations: ['cinder:ListVolumes', 'cinder:GetVolume'] },
    lifecycle: { 'stuck-attaching': { every: 1 } },
  });
  const before = calls();
  const attaches = Promise.all(volumes.map((volume) => api.attachVolume(volume.blockDeviceId, peer())));
  await waitFor({
    what: 'a throttled listing round',
    timeoutMs: LOADED_MACHINE_MS,
    poll: async () => {
      const throttled = emulator.faults.throttled.get('cinder:ListVolumes') ?? 0;
      return throttled > 0 ? { done: true, value: throttled } : { done: false, state: throttled };
    },
  });
  emulator.fabric.release();
  await attaches;
  expect(calls()).toBeGreaterThan(before);
  emulator.faults.set({});
  await cleanUp(
    api,
    volumes.map((volume) => volume.blockDeviceId),
    true,
  );
});

it('a volume that vanishes while attaching fails its own wait with UNKNOWN_VOLUME; the others attach', async () => {
  const api = await openDriver(emulator, serverAt(emulator, 0));
  const volumes = await createMany(api);
  emulator.faults.set({ lifecycle: { 'stuck-attaching': { every: 1 } } });
  const attaches = volumes.map((volume) =>
    api.attachVolume(volume.blockDeviceId, peer()).then(
      () => 'attached',
      (error: unknown) => (hasCode(error, 'UNKNOWN_VOLUME') ? 'UNKNOWN_VOLUME' : String(error)),
    ),
  );
  await waitFor({
    what: 'every volume to be attaching',
    timeoutMs: LOADED_MACHINE_MS,
    poll: async () => {
      const held = emulator.fabric.held().length;
      return held === WAITERS ? { done: true, value: held } : { done: false, state: held };
    },
  });
  const [gone, ...others] = volumes;
  const fabricId = emulator.fabric
    .volumes()
    .find((v) => v.tags.get(DATASET_ID_LABEL) === gone?.datasetId)?.id;
  if (fabricId === undefined) throw new TypeError('the vanishing volume is not in the fabric');
  emulator.fabric.vanish(fabricId);
  await expect(attaches[0]).resolves.toBe('UNKNOWN_VOLUME');
  emulator.fabric.release();
  expect(await Promise.all(attaches.slice(1))).toEqual(others.map(() => 'attached'));
  emulator.faults.set({});
  await cleanUp(
    api,
    others.map((volume) => volume.blockDeviceId),
    true,
  );
});

it('a request throttled more often than MAX_ATTEMPTS is tried again until the limit lets it through', async () => {
  const throttled = () => emulator.faults.throttled.get('cinder:ListVolumes') ?? 0;
  // The limiter's bucket gets no token back until the driver has been refused more than MAX_ATTEMPTS times; the
  // driver's back-offs (Retry-After: 1 s) pass in its own clock at once, and count against its time budget whole.
  let bucketNow = 0;
  let driverNow = Date.now();
  const clock: Clock = {
    now: () => driverNow,
    sleep: async (ms) => {
      driverNow += ms;
      if (throttled() > MAX_ATTEMPTS) bucketNow = 1000;
      await setImmediate();
    },
  };
  const api = await openDriver(emulator, serverAt(emulator, 0), { clock });
  await api.listVolumes();
  emulator.faults.set({
    rateLimits: { 'cinder:ListVolumes': { capacity: 1, refillPerSecond: 1 } },
    clock: () => bucketNow,
  });
  await api.listVolumes(); // the only token
  await expect(api.listVolumes()).resolves.toEqual([]);
  expect(throttled()).toBe(MAX_ATTEMPTS + 1);
});
