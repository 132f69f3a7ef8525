import { randomUUID } from 'node:crypto';
import { describeBlockDeviceAPI } from '@flockerjs/conformance';
import { afterAll } from 'vitest';
import { LoopbackDriver, MINIMUM_ALLOCATABLE_SIZE, ROOT_REQUIRED } from '../src/index.js';
import { inspectVolume, makeTestRoots } from './loopback-fixtures.js';

const roots = makeTestRoots();
afterAll(roots.removeAll);

describeBlockDeviceAPI({
  name: 'loopback',
  factory: async ({ onCleanup }) => {
    const root = await roots.make(onCleanup);
    return LoopbackDriver.open({
      root_path: root,
      compute_instance_id: `node-${randomUUID()}`,
      allocation_unit: 1 << 20,
    });
  },
  minimumAllocatableSize: MINIMUM_ALLOCATABLE_SIZE,
  unknownBlockDeviceId: () => `block-${randomUUID()}`,
  inspect: (blockDeviceId) => inspectVolume(roots.parent, blockDeviceId),
  // Nodes sharing a root are only names: any well-formed id is another node.
  otherNodeId: () => `node-elsewhere-${randomUUID()}`,
  // No listPageSize: loopback lists directories, which have no pages.
  skip: process.getuid?.() === 0 ? undefined : ROOT_REQUIRED,
});
