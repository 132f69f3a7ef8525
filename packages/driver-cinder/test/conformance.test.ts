import { randomUUID } from 'node:crypto';
import type { OpenStackEmulator } from '@flockerjs/cloud-emulator';
import { describeBlockDeviceAPI } from '@flockerjs/conformance';
import { afterAll, beforeAll } from 'vitest';
import { MINIMUM_ALLOCATABLE_SIZE } from '../src/index.js';
import {
  inspector,
  openDriver,
  serverAt,
  skipUnlessRoot,
  startEmulator,
  stopAndCheck,
} from './emulated-openstack.js';

// Real pkgcloud over HTTP to the emulator's Keystone, Cinder and Nova; real loop devices behind virtio links.
let emulator: OpenStackEmulator;
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(async () => {
  await stopAndCheck(emulator);
});

describeBlockDeviceAPI({
  name: 'openstack (emulated)',
  // Each test gets a cluster of its own: the same cloud, a new cluster id.
  factory: () => openDriver(emulator, serverAt(emulator, 0), { clusterId: randomUUID() }),
  minimumAllocatableSize: MINIMUM_ALLOCATABLE_SIZE,
  unknownBlockDeviceId: () => randomUUID(),
  inspect: (id) => inspector(emulator)(id),
  skip: skipUnlessRoot,
});
