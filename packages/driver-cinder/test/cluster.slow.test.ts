// The cluster suite on the OpenStack emulator: a real flocker-control and one real flocker-dataset-agent per
// emulated server (the built CLI, loading this driver by name from agent.yml), driven through the REST API.
import { fileURLToPath } from 'node:url';
import type { OpenStackEmulator } from '@flockerjs/cloud-emulator';
import { describeCluster } from '@flockerjs/conformance';
import { afterAll, beforeAll } from 'vitest';
import { DRIVER_NAME, FLOCKER_BACKEND } from '../src/index.js';
import { agentYmlFor, serverAt, skipUnlessRoot, startEmulator, stopAndCheck } from './emulated-openstack.js';

let emulator: OpenStackEmulator | undefined;
const running = (): OpenStackEmulator => {
  if (emulator === undefined) throw new TypeError('the emulator is not running');
  return emulator;
};

beforeAll(async () => {
  if (skipUnlessRoot !== undefined) return;
  emulator = await startEmulator();
});
// After the suite deleted its datasets through the API: no volume or failed device work left behind.
afterAll(() => stopAndCheck(emulator));

describeCluster({
  name: 'openstack (emulated)',
  nodes: () => ({
    a: { backend: DRIVER_NAME, ...agentYmlFor(running(), serverAt(running(), 0)) },
    b: { backend: DRIVER_NAME, ...agentYmlFor(running(), serverAt(running(), 1)) },
  }),
  minimumAllocatableSize: FLOCKER_BACKEND.certification.minimumAllocatableSize,
  skip: skipUnlessRoot,
  // This package: the agents load it by name from here, as from where an operator installed it.
  installDir: fileURLToPath(new URL('..', import.meta.url)),
});
