import { type CloudEmulator, loopDevicesUnder, startCloudEmulator } from '@flockerjs/cloud-emulator';
import { describeBlockDeviceAPI } from '@flockerjs/conformance';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GIB } from '../src/index.js';
import { emulatedFactory, inspectFabric, skipUnlessRoot, TEST_TIMINGS, unknownVolumeId } from './emulated-cloud.js';

// The whole suite on a Nitro instance: volumes show up as NVMe namespaces, found through the by-id links.
let emulator: CloudEmulator;
beforeAll(async () => {
  if (skipUnlessRoot() === undefined) emulator = await startCloudEmulator({ timings: TEST_TIMINGS, instances: [{ deviceMode: 'nitro' }] });
});
afterAll(() => emulator?.stop());

describeBlockDeviceAPI({
  name: 'aws (emulated Nitro)',
  factory: emulatedFactory(() => emulator, () => emulator.instances[0]!),
  minimumAllocatableSize: GIB,
  unknownBlockDeviceId: unknownVolumeId,
  inspect: inspectFabric(() => emulator),
  skip: skipUnlessRoot(),
});

it.skipIf(skipUnlessRoot() !== undefined)('leaves no volume and no loop device behind', async () => {
  await emulator.fabric.settle();
  expect(emulator.fabric.volumes().filter((volume) => volume.state !== 'deleting')).toEqual([]);
  expect(await loopDevicesUnder((file, args) => import('node:child_process').then(({ execFileSync }) => ({ stdout: execFileSync(file, [...args], { encoding: 'utf8' }), stderr: '' })), emulator.fabric.stateDir)).toEqual([]);
  expect(emulator.fabric.backgroundErrors).toEqual([]);
});
