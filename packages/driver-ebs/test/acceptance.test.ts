import { randomUUID } from 'node:crypto';
import { type CloudEmulator, startCloudEmulator } from '@flockerjs/cloud-emulator';
import { describeAcceptance } from '@flockerjs/conformance';
import { afterAll, beforeAll } from 'vitest';
import { AwsEbsDriver, configSchema, GIB } from '../src/index.js';
import { emulatorConfig, skipUnlessRoot, TEST_TIMINGS } from './emulated-cloud.js';

// Two emulated instances in one zone are the two nodes: data moves between them through EBS attach/detach, from a
// Nitro instance (an NVMe device found by its by-id link) to a Xen one (`xvdf`, found by name), as in a fleet that
// mixes instance generations.
let emulator: CloudEmulator;
beforeAll(async () => {
  if (skipUnlessRoot() === undefined) {
    emulator = await startCloudEmulator({
      timings: TEST_TIMINGS,
      instances: [{ deviceMode: 'nitro' }, { deviceMode: 'xen' }],
    });
  }
});
afterAll(() => emulator?.stop());

describeAcceptance({
  name: 'aws (emulated)',
  cluster: () => {
    const clusterId = randomUUID();
    return {
      openNode: (node) => {
        const instance = emulator.instances[node === 'a' ? 0 : 1];
        if (instance === undefined) throw new Error(`no emulated instance for node ${node}`);
        return AwsEbsDriver.open(configSchema.parse(emulatorConfig(emulator, instance)), { clusterId });
      },
    };
  },
  minimumAllocatableSize: GIB,
  skip: skipUnlessRoot(),
  timeoutMs: 60_000,
});
