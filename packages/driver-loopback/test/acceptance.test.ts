import { describeAcceptance } from '@flockerjs/conformance';
import { afterAll } from 'vitest';
import { LoopbackDriver, MINIMUM_ALLOCATABLE_SIZE, ROOT_REQUIRED } from '../src/index.js';
import { makeTestRoots } from './loopback-fixtures.js';

const roots = makeTestRoots();
afterAll(roots.removeAll);

// Two nodes on this host share one root, each with its own instance id: what one detaches, the other attaches.
describeAcceptance({
  name: 'loopback',
  cluster: async ({ onCleanup }) => {
    const root = await roots.make(onCleanup);
    return {
      openNode: (node) =>
        LoopbackDriver.open({
          root_path: root,
          compute_instance_id: `node-${node}`,
          allocation_unit: 1 << 20,
        }),
    };
  },
  minimumAllocatableSize: MINIMUM_ALLOCATABLE_SIZE,
  skip: process.getuid?.() === 0 ? undefined : ROOT_REQUIRED,
});
