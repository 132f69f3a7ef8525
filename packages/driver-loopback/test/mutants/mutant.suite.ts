import { randomUUID } from 'node:crypto';
import { describeBlockDeviceAPI } from '@flockerjs/conformance';
import { afterAll } from 'vitest';
import { LoopbackDriver, MINIMUM_ALLOCATABLE_SIZE, ROOT_REQUIRED } from '../../src/index.js';
import { makeTestRoots } from '../loopback-fixtures.js';
import { MUTANTS, type MutantName } from './mutants.js';

// Run by suite-catches-bugs.test.ts in a vitest of its own, once per mutant named in FLOCKER_MUTANT.
const mutant = MUTANTS[process.env.FLOCKER_MUTANT as MutantName];
const roots = makeTestRoots();
afterAll(roots.removeAll);

describeBlockDeviceAPI({
  name: `loopback mutant ${process.env.FLOCKER_MUTANT}`,
  factory: async ({ onCleanup }) => {
    const root = await roots.make(onCleanup);
    const api = await LoopbackDriver.open({
      root_path: root,
      compute_instance_id: 'mutant-node',
      allocation_unit: 1 << 20,
    });
    return mutant(api, root);
  },
  minimumAllocatableSize: MINIMUM_ALLOCATABLE_SIZE,
  unknownBlockDeviceId: () => `block-${randomUUID()}`,
  skip: process.getuid?.() === 0 ? undefined : ROOT_REQUIRED,
});
