import { randomUUID } from 'node:crypto';
import type { OpenStackEmulator } from '@flockerjs/cloud-emulator';
import { describeAcceptance } from '@flockerjs/conformance';
import { afterAll, beforeAll } from 'vitest';
import { MINIMUM_ALLOCATABLE_SIZE } from '../src/index.js';
import { openDriver, serverAt, skipUnlessRoot, startEmulator, stopAndCheck } from './emulated-openstack.js';

// Two emulated Nova servers, each with its own metadata service and /dev: a filesystem moves between them.
let emulator: OpenStackEmulator;
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(async () => {
  await stopAndCheck(emulator);
});

describeAcceptance({
  name: 'openstack (emulated)',
  cluster: () => {
    const clusterId = randomUUID();
    return {
      openNode: (node) => openDriver(emulator, serverAt(emulator, node === 'a' ? 0 : 1), { clusterId }),
    };
  },
  minimumAllocatableSize: MINIMUM_ALLOCATABLE_SIZE,
  skip: skipUnlessRoot,
});
