import { randomUUID } from 'node:crypto';
import { describeBlockDeviceAPI } from '@flockerjs/conformance';
import { afterAll } from 'vitest';
import { FLOCKER_BACKEND, LoopbackDriver, ROOT_REQUIRED } from '../src/index.js';
import { inspectVolume, makeTestRoots } from './loopback-fixtures.js';

const roots = makeTestRoots();
afterAll(roots.removeAll);

// The suite's title and knobs (sizes, the unknown id) come from FLOCKER_BACKEND, as flocker-certify takes them.
describeBlockDeviceAPI({
  backend: FLOCKER_BACKEND,
  factory: async ({ onCleanup }) => {
    const root = await roots.make(onCleanup);
    return LoopbackDriver.open({
      root_path: root,
      compute_instance_id: `node-${randomUUID()}`,
      allocation_unit: 1 << 20,
    });
  },
  inspect: (blockDeviceId) => inspectVolume(roots.parent, blockDeviceId),
  // Nodes sharing a root are only names: any well-formed id is another node.
  otherNodeId: () => `node-elsewhere-${randomUUID()}`,
  // No listPageSize: loopback lists directories, which have no pages.
  skip: process.getuid?.() === 0 ? undefined : ROOT_REQUIRED,
});
