// The move scenario where users run it, on EBS and Cinder: two emulated instances, one agent each (the built
// CLI, the backend loaded by name from agent.yml), move a dataset with files from A to B and back.
import { randomUUID } from 'node:crypto';
import {
  type CloudEmulator,
  ec2DatasetKeys,
  type Fabric,
  type OpenStackEmulator,
  openstackDatasetKeys,
  startCloudEmulator,
  startOpenStackEmulator,
} from '@flockerjs/cloud-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorld, readChecksum, skipUnlessRoot, type World, writeData } from './world.js';

const GIB = 1024 * 1024 * 1024;
const TIMINGS = { createMs: 50, attachMs: 60, detachMs: 60, deleteMs: 30 } as const;
const TIMEOUTS = {
  create_ms: 20_000,
  attach_ms: 20_000,
  detach_ms: 20_000,
  destroy_ms: 20_000,
  device_ms: 10_000,
};

interface Cloud {
  readonly name: string;
  readonly nodes: readonly [string, string];
  readonly fabric: Fabric;
  dataset(node: string): Record<string, unknown>;
  stop(): Promise<void>;
}

async function ebs(): Promise<Cloud> {
  const emulator: CloudEmulator = await startCloudEmulator({ instances: [{}, {}], timings: TIMINGS });
  const [a, b] = emulator.instances;
  if (a === undefined || b === undefined) throw new TypeError('the emulator started without two instances');
  return {
    name: 'aws',
    nodes: [a.id, b.id],
    fabric: emulator.fabric,
    dataset: (node) => {
      const instance = node === a.id ? a : b;
      // IMDS answers in milliseconds, unless the machine runs two test suites at once.
      return {
        backend: 'aws',
        ...ec2DatasetKeys(emulator, instance),
        imds_timeout_ms: 10_000,
        timeouts: TIMEOUTS,
      };
    },
    stop: () => emulator.stop(),
  };
}

async function cinder(): Promise<Cloud> {
  const emulator: OpenStackEmulator = await startOpenStackEmulator({
    servers: [{ name: 'node-a' }, { name: 'node-b' }],
    timings: TIMINGS,
  });
  const [a, b] = emulator.servers;
  if (a === undefined || b === undefined) throw new TypeError('the emulator started without two servers');
  return {
    name: 'openstack',
    nodes: [a.id, b.id],
    fabric: emulator.fabric,
    dataset: (node) => {
      const server = node === a.id ? a : b;
      return { backend: 'openstack', ...openstackDatasetKeys(emulator, server), timeouts: TIMEOUTS };
    },
    stop: () => emulator.stop(),
  };
}

describe.skipIf(skipUnlessRoot).each([
  ['EBS', ebs],
  ['Cinder', cinder],
] as const)('%s, two emulated instances', { timeout: 300_000 }, (_name, start) => {
  let cloud: Cloud;
  let world: World;
  beforeAll(async () => {
    cloud = await start();
    world = await makeWorld(`agent-${cloud.name}-`, {
      nodes: cloud.nodes,
      dataset: (node) => cloud.dataset(node),
    });
  });
  afterAll(async () => {
    await world?.cleanup();
    await cloud?.stop();
  });

  it('moves a dataset with its files from A to B and back by editing the desired file', async () => {
    const [a, b] = cloud.nodes;
    const clusterId = randomUUID();
    const datasetId = randomUUID();
    const on = (primary: string) => ({
      cluster_id: clusterId,
      datasets: [{ dataset_id: datasetId, primary, maximum_size: GIB }],
    });
    const converge = async (node: string) => {
      const result = await world.run(node);
      expect(
        result.code,
        result.stderr
          .split('\n')
          .filter((l) => !l.startsWith('{'))
          .join('\n'),
      ).toBe(0);
    };
    const attachedTo = () =>
      cloud.fabric
        .volumes()
        .filter((volume) => volume.state !== 'deleting' && volume.state !== 'deleted')
        .map((volume) => volume.attachment?.instanceId ?? null);

    await world.setDesired(on(a));
    await converge(a);
    expect(await world.mounts()).toEqual([world.mountPath(a, datasetId)]);
    const sum = await writeData(world.mountPath(a, datasetId), 'data.bin', `written on ${cloud.name} A`);

    await world.setDesired(on(b));
    await converge(a);
    expect(await world.mounts()).toEqual([]);
    await converge(b);
    expect(await world.mounts()).toEqual([world.mountPath(b, datasetId)]);
    expect(await readChecksum(world.mountPath(b, datasetId), 'data.bin')).toBe(sum);
    expect(attachedTo()).toEqual([b]);

    await world.setDesired(on(a));
    await converge(b);
    await converge(a);
    expect(await readChecksum(world.mountPath(a, datasetId), 'data.bin')).toBe(sum);
    expect(attachedTo()).toEqual([a]);

    await world.setDesired({
      cluster_id: clusterId,
      datasets: [{ dataset_id: datasetId, primary: a, deleted: true }],
    });
    await converge(a);
    expect(await world.mounts()).toEqual([]);
    expect(attachedTo()).toEqual([]);
  });
});
