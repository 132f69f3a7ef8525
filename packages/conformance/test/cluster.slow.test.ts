// The cluster suite on loopback: a real control service and two real agents over one loopback root.
import { join } from 'node:path';
import { describeCluster } from '../src/cluster.js';

const MiB = 1024 * 1024;

describeCluster({
  name: 'loopback',
  nodes: (scratch) => ({
    a: { backend: 'loopback', root_path: join(scratch, 'loopback'), compute_instance_id: 'node-a' },
    b: { backend: 'loopback', root_path: join(scratch, 'loopback'), compute_instance_id: 'node-b' },
  }),
  minimumAllocatableSize: MiB,
  skip: process.getuid?.() === 0 ? undefined : 'loop devices and mounts need root',
});
