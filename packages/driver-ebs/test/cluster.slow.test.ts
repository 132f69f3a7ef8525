// The cluster suite on the EC2 emulator: a real flocker-control and one real flocker-dataset-agent per emulated
// instance (the built CLI, loading this driver by name from agent.yml), driven through the REST API.
import { fileURLToPath } from 'node:url';
import { type CloudEmulator, startCloudEmulator } from '@flockerjs/cloud-emulator';
import { describeCluster } from '@flockerjs/conformance';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DRIVER_NAME, FLOCKER_BACKEND } from '../src/index.js';
import { emulatorConfig, instanceOf, leftovers, skipUnlessRoot, TEST_TIMINGS } from './emulated-cloud.js';

let emulator: CloudEmulator | undefined;
const running = (): CloudEmulator => {
  if (emulator === undefined) throw new TypeError('the emulator is not running');
  return emulator;
};

beforeAll(async () => {
  if (skipUnlessRoot() !== undefined) return;
  emulator = await startCloudEmulator({ timings: TEST_TIMINGS, instances: [{}, {}] });
});
afterAll(() => emulator?.stop());

describeCluster({
  name: 'aws (emulated)',
  nodes: () => ({
    a: { backend: DRIVER_NAME, ...emulatorConfig(running(), instanceOf(running(), 0)) },
    b: { backend: DRIVER_NAME, ...emulatorConfig(running(), instanceOf(running(), 1)) },
  }),
  minimumAllocatableSize: FLOCKER_BACKEND.certification.minimumAllocatableSize,
  skip: skipUnlessRoot(),
  // This package: the agents load it by name from here, as from where an operator installed it.
  installDir: fileURLToPath(new URL('..', import.meta.url)),
});

// After the suite deleted its datasets through the API: nothing left in the emulator.
it.skipIf(skipUnlessRoot() !== undefined)(
  'the cluster suite leaves no volume or loop device behind',
  async () => {
    expect(await leftovers(running())).toEqual({ volumes: [], loopDevices: [], errors: [] });
  },
);
