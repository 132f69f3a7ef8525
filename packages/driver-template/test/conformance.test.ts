import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeBlockDeviceAPI } from '@flockerjs/conformance';
import { afterAll } from 'vitest';
import {
  __DriverName__Driver,
  configSchema,
  DATASET_ID_KEY,
  FLOCKER_BACKEND,
  InMemoryStorage,
  ROOT_REQUIRED,
} from '../src/index.js';

// One storage system shared by every test, as a real one would be; each test gets its own cluster id, which is
// what keeps its listing empty and its volumes apart. TODO(driver-author): point a client at your emulator
// (or, when its credentials are set, at the real system) instead.
const host = `node-${randomUUID()}`;
const backingDir = join(tmpdir(), `flockerjs-__driver_name__-${process.pid}-${Date.now()}`);
const storage = new InMemoryStorage({ backingDir, hostInstanceId: host });
const isRoot = process.getuid?.() === 0;
afterAll(() => storage.destroy());

// The suite's title and knobs (sizes, the unknown id) come from FLOCKER_BACKEND, as flocker-certify takes them.
describeBlockDeviceAPI({
  backend: FLOCKER_BACKEND,
  factory: () =>
    __DriverName__Driver.open(configSchema.parse({ backing_dir: backingDir, compute_instance_id: host }), {
      clusterId: randomUUID(),
      client: storage,
    }),
  inspect: async (blockDeviceId) => {
    const remote = storage.peek(blockDeviceId);
    if (remote === undefined) return undefined;
    return {
      size: remote.sizeBytes,
      attachedTo: remote.attachedTo,
      datasetId: remote.metadata[DATASET_ID_KEY] ?? '',
    };
  },
  // The stand-in records attachments to other hosts without presenting a disk. TODO(driver-author): a second
  // instance your emulator runs.
  otherNodeId: () => 'other-host',
  // TODO(driver-author): how many volumes one page of your emulator's listing holds (unset: no pages).
  // Without root no disk can be presented here: the cases that attach one to this host say so, the rest run.
  withoutDevices: isRoot ? undefined : ROOT_REQUIRED,
});
