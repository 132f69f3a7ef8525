import { randomUUID } from 'node:crypto';
import { type CloudEmulator, type QueryParams, startCloudEmulator } from '@flockerjs/cloud-emulator';
import { hasCode, waitFor } from '@flockerjs/core-interface';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { AwsEbsDriver, configSchema, type EbsConfigInput, GIB } from '../src/index.js';
import { emulatorConfig, instanceOf } from './emulated-cloud.js';

/**
 * How long a condition may take on a loaded 2-core machine (two CI runs side by side): far beyond its usual
 * second or two, below the tests' own limit (tooling/vitest-config).
 */
const LOADED_MACHINE_MS = 180_000;

// Concurrent waits of one driver share one DescribeVolumes per polling round. Counted at the emulator, call by
// call; no device is needed (volumes attach to another instance than the driver's).
const WAITERS = 10;
let emulator: CloudEmulator;
/** The volume ids of each DescribeVolumes that asked for ids (a `volume-id` filter or `VolumeId.N`). */
let describes: string[][] = [];
beforeAll(async () => {
  emulator = await startCloudEmulator({
    devices: false,
    timings: { createMs: 40, attachMs: 40, detachMs: 40, deleteMs: 20 },
    instances: [{}, {}],
  });
  emulator.ec2.onRequest((action, params) => {
    if (action === 'DescribeVolumes') {
      const ids = [...params.list('VolumeId'), ...volumeIdFilter(params)];
      if (ids.length > 0) describes.push(ids);
    }
  });
});
afterAll(() => emulator?.stop());
beforeEach(() => {
  emulator.faults.set({});
  describes = [];
});

function volumeIdFilter(params: QueryParams): string[] {
  return params.filters().flatMap((filter) => (filter.name === 'volume-id' ? filter.values : []));
}

const open = (overrides: Partial<EbsConfigInput> = {}) =>
  AwsEbsDriver.open(
    configSchema.parse({ ...emulatorConfig(emulator, instanceOf(emulator, 0)), ...overrides }),
    { clusterId: randomUUID() },
  );
const peer = () => instanceOf(emulator, 1).id;
const createMany = (api: AwsEbsDriver) =>
  Promise.all(Array.from({ length: WAITERS }, () => api.createVolume(randomUUID(), GIB)));

it('concurrent creates wait on shared DescribeVolumes rounds: each call asks for the volumes still waiting', async () => {
  // Every volume stays creating until released: the test lets ten rounds ask for all of them first.
  emulator.faults.set({ lifecycle: { 'stuck-creating': { every: 1 } } });
  const api = await open();
  const creates = createMany(api);
  // A create that fails ends the wait with its error, not with a timeout that hides it.
  let failed: unknown;
  creates.catch((error: unknown) => {
    failed = error;
  });
  const full = () => describes.filter((call) => call.length === WAITERS).length;
  await waitFor({
    what: 'ten DescribeVolumes calls that ask for every volume being created',
    timeoutMs: LOADED_MACHINE_MS,
    poll: async () => {
      if (failed !== undefined) throw failed;
      return full() >= 10 ? { done: true, value: undefined } : { done: false, state: full() };
    },
  });
  emulator.fabric.release();
  const volumes = await creates;
  const ids = new Set(volumes.map((volume) => volume.blockDeviceId));
  const rounds = describes.filter((call) => call.some((id) => ids.has(id)));
  const looks = rounds.reduce((sum, call) => sum + call.length, 0);
  // One describe per volume per poll would make looks === rounds.
  expect(looks / rounds.length).toBeGreaterThan(WAITERS / 2);
});

it('a throttled DescribeVolumes is retried and every wait still completes', async () => {
  const api = await open();
  emulator.faults.set({ throttleEvery: { every: 4, operations: ['DescribeVolumes'] } });
  const volumes = await createMany(api);
  await Promise.all(volumes.map((volume) => api.attachVolume(volume.blockDeviceId, peer())));
  expect(emulator.faults.throttled.get('DescribeVolumes')).toBeGreaterThan(0);
  emulator.faults.set({});
  for (const volume of volumes) {
    await api.detachVolume(volume.blockDeviceId);
    await api.destroyVolume(volume.blockDeviceId);
  }
});

it('a volume that vanishes while attaching fails its own wait with UNKNOWN_VOLUME; the others attach', async () => {
  const api = await open();
  const volumes = await createMany(api);
  // Every attachment stays attaching until released.
  emulator.faults.set({ lifecycle: { 'stuck-attaching': { every: 1 } } });
  const attaches = volumes.map((volume) =>
    api.attachVolume(volume.blockDeviceId, peer()).then(
      () => 'attached',
      (error: unknown) => (hasCode(error, 'UNKNOWN_VOLUME') ? 'UNKNOWN_VOLUME' : String(error)),
    ),
  );
  const [gone, ...others] = volumes.map((volume) => volume.blockDeviceId);
  if (gone === undefined) throw new TypeError('no volumes');
  await waitFor({
    what: 'every volume to be attaching',
    timeoutMs: LOADED_MACHINE_MS,
    poll: async () => {
      const held = emulator.fabric.held();
      return held.length === WAITERS ? { done: true, value: held } : { done: false, state: held };
    },
  });
  emulator.fabric.vanish(gone);
  const before = describes.length;
  // The vanished volume's wait ends on the next round's answer, before the others are released.
  await expect(attaches[0]).resolves.toBe('UNKNOWN_VOLUME');
  expect(describes.length).toBeGreaterThan(before);
  for (const id of others) emulator.fabric.release(id);
  expect(await Promise.all(attaches.slice(1))).toEqual(others.map(() => 'attached'));
  emulator.faults.set({});
  for (const id of others) {
    await api.detachVolume(id);
    await api.destroyVolume(id);
  }
});
