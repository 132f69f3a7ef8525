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

// The whole suite on a Nitro instance: volumes show up as NVMe namespaces, found through the by-id links.
let emulator: CloudEmulator;
beforeAll(async () => {
  if (skipUnlessRoot() === undefined) {
    emulator = await startCloudEmulator({ timings: TEST_TIMINGS, instances: [{ deviceMode: 'nitro' }] });
  }
});
afterAll(() => emulator?.stop());

describeBlockDeviceAPI({
  name: 'aws (emulated Nitro)',
  factory: emulatedFactory(
    () => emulator,
    () => instanceOf(emulator, 0),
  ),
  minimumAllocatableSize: GIB,
  unknownBlockDeviceId: unknownVolumeId,
  inspect: inspectFabric(() => emulator),
  skip: skipUnlessRoot(),
});

it.skipIf(skipUnlessRoot() !== undefined)(
  'the Nitro run leaves no volume, loop device or failed device work behind',
  async () => {
    expect(await leftovers(emulator)).toEqual({ volumes: [], loopDevices: [], errors: [] });
  },
);
