import { randomUUID } from 'node:crypto';
import { describeBlockDeviceAPI } from '@flockerjs/conformance';
import type { Capabilities } from '@flockerjs/core-interface';
import { afterAll } from 'vitest';
import { LoopbackDriver, MINIMUM_ALLOCATABLE_SIZE, ROOT_REQUIRED } from '../../src/index.js';
import { inspectVolume, makeTestRoots } from '../loopback-fixtures.js';
import { type FullApi, MUTANTS, type MutantName, OTHER_NODE, PAGE_SIZE, withMembers } from './mutants.js';

// Run by suite-catches-bugs.slow.test.ts in a vitest of its own: one suite per mutant named in FLOCKER_MUTANTS.
const roots = makeTestRoots();
afterAll(roots.removeAll);

// Loopback in a simulated cloud of two nodes, so that the cloud API cases run too: this node and another one,
// which the back door stops and starts again.
const live = new Set<string>([OTHER_NODE]);
const cloudCapabilities: Capabilities = {
  profiles: true,
  cloudApi: true,
  startNode: true,
  resize: true,
};

function inSimulatedCloud(driver: LoopbackDriver): FullApi {
  return withMembers(driver, {
    capabilities: cloudCapabilities,
    listLiveNodes: async () => [await driver.computeInstanceId(), ...live],
    startNode: async (node) => {
      live.add(node);
    },
  }) as FullApi;
}

for (const name of (process.env.FLOCKER_MUTANTS ?? '').split(',') as MutantName[]) {
  const mutant = MUTANTS[name];
  describeBlockDeviceAPI({
    name: `loopback mutant ${name}`,
    factory: async ({ onCleanup }) => {
      const root = await roots.make(onCleanup);
      const driver = await LoopbackDriver.open({
        root_path: root,
        compute_instance_id: 'mutant-node',
        allocation_unit: 1 << 20,
      });
      return mutant(inSimulatedCloud(driver), root);
    },
    minimumAllocatableSize: MINIMUM_ALLOCATABLE_SIZE,
    unknownBlockDeviceId: () => `block-${randomUUID()}`,
    inspect: (blockDeviceId) => inspectVolume(roots.parent, blockDeviceId),
    otherNodeId: () => OTHER_NODE,
    listPageSize: PAGE_SIZE,
    stopNode: async (node) => {
      live.delete(node);
      return async () => {
        live.add(node);
      };
    },
    skip: process.getuid?.() === 0 ? undefined : ROOT_REQUIRED,
  });
}
