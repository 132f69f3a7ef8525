import { randomUUID } from 'node:crypto';
import { type CloudEmulator, startCloudEmulator } from '@flockerjs/cloud-emulator';
import { createBlockDeviceAPI, createLogger, type LogEntry, silentLogger } from '@flockerjs/core-interface';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AwsEbsDriver,
  CLUSTER_ID_TAG,
  type CreateVolumeInput,
  clientTokenFor,
  configSchema,
  createSdkEc2Api,
  DATASET_ID_TAG,
  type EbsConfigInput,
  FLOCKER_BACKEND,
  GIB,
  METADATA_VERSION_TAG,
} from '../src/index.js';
import { EMULATOR_CREDENTIALS, emulatorConfig, instanceOf, skipUnlessRoot } from './emulated-cloud.js';

// Driver behaviour the conformance suite cannot see: tags, tokens, paging, profiles, stuck attachments.
let emulator: CloudEmulator;
beforeAll(async () => {
  emulator = await startCloudEmulator({
    timings: { createMs: 40, attachMs: 40, detachMs: 40, deleteMs: 20 },
    instances: [{}, { zone: 'us-east-1b' }, { hiddenDevices: ['/dev/sdf', '/dev/sdg'] }],
  });
});
afterAll(() => emulator?.stop());
beforeEach(() => emulator.faults.set({}));

const open = (
  overrides: Partial<EbsConfigInput> = {},
  instance = 0,
  clusterId: string = randomUUID(),
  log?: LogEntry[],
) =>
  AwsEbsDriver.open(
    configSchema.parse({ ...emulatorConfig(emulator, instanceOf(emulator, instance)), ...overrides }),
    { clusterId },
    log === undefined ? {} : { logger: createLogger({ sink: (entry) => log.push(entry) }) },
  );

/** Deletes a volume straight in the fabric once it is available. */
async function waitAndDelete(id: string): Promise<void> {
  for (let tries = 0; emulator.fabric.volume(id)?.state === 'creating' && tries < 100; tries += 1) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  emulator.fabric.deleteVolume(id);
}

describe('AwsEbsDriver against the EC2 emulator', () => {
  it("tags a volume at creation with the cluster, dataset, metadata version and Name, in this instance's zone", async () => {
    const clusterId = randomUUID();
    const api = await open({}, 1, clusterId);
    const datasetId = randomUUID();
    const volume = await api.createVolume(datasetId, 2 * GIB);
    const held = emulator.fabric.volume(volume.blockDeviceId);
    expect(held?.zone).toBe('us-east-1b');
    expect(Object.fromEntries(held?.tags ?? [])).toEqual({
      [CLUSTER_ID_TAG]: clusterId,
      [DATASET_ID_TAG]: datasetId,
      [METADATA_VERSION_TAG]: '1',
      Name: `flocker-${datasetId}`,
    });
    await api.destroyVolume(volume.blockDeviceId);
  });

  it('makes one volume when CreateVolume replies are lost and retried (ClientToken from cluster and dataset)', async () => {
    const clusterId = randomUUID();
    const api = await open({}, 0, clusterId);
    emulator.faults.set({
      serverErrors: { rate: 0.5, operations: ['CreateVolume'], when: 'after' },
      seed: 7,
    });
    const datasetId = randomUUID();
    const volume = await api.createVolume(datasetId, GIB);
    emulator.faults.set({});
    expect(emulator.faults.injected.get('fail-after') ?? 0).toBeGreaterThan(0);
    const forDataset = emulator.fabric.volumes().filter((v) => v.tags.get(DATASET_ID_TAG) === datasetId);
    expect(forDataset.map((v) => v.id)).toEqual([volume.blockDeviceId]);
    // The convergence loop calling again for the same dataset gets the same volume, not a second one.
    expect(await api.createVolume(datasetId, GIB)).toEqual(volume);
    expect(clientTokenFor(clusterId, datasetId)).toHaveLength('flocker-'.length + 48);
    await api.destroyVolume(volume.blockDeviceId);
  });

  it('a create that failed after EC2 made the volume, called again, returns that volume: no leak', async () => {
    const run = async (randomTokens: boolean): Promise<{ again: string; volumes: string[] }> => {
      const config = configSchema.parse({
        ...emulatorConfig(emulator, instanceOf(emulator, 0)),
        max_attempts: 2,
      });
      const sdk = createSdkEc2Api({
        region: config.region,
        endpoint: config.endpoint,
        credentials: { accessKeyId: 'AKIAEMULATOR00000000', secretAccessKey: 'emulator-secret-key' },
        maxAttempts: config.max_attempts,
        logger: silentLogger,
        driverName: 'aws',
      });
      // The bug EBS CSI fixed with sha256(name): a token that differs between calls for the same dataset.
      const ec2 = randomTokens
        ? {
            ...sdk,
            createVolume: (input: CreateVolumeInput) =>
              sdk.createVolume({ ...input, clientToken: randomUUID() }),
          }
        : sdk;
      const api = await AwsEbsDriver.open(config, { clusterId: randomUUID() }, { ec2 });
      const datasetId = randomUUID();
      emulator.faults.set({ serverErrors: { rate: 1, operations: ['CreateVolume'], when: 'after' } });
      await expect(api.createVolume(datasetId, GIB)).rejects.toMatchObject({
        code: 'BACKEND',
        ec2Code: 'InternalError',
      });
      emulator.faults.set({});
      const again = await api.createVolume(datasetId, GIB);
      const volumes = emulator.fabric.volumes().filter((v) => v.tags.get(DATASET_ID_TAG) === datasetId);
      for (const volume of volumes) await waitAndDelete(volume.id);
      return { again: again.blockDeviceId, volumes: volumes.map((v) => v.id) };
    };
    const stable = await run(false);
    expect(stable.volumes).toEqual([stable.again]);
    // The same scenario with a fresh token per call leaks: this test tells the two apart.
    expect((await run(true)).volumes).toHaveLength(2);
  });

  it('a second createVolume for a dataset with another size is DATASET_EXISTS', async () => {
    const api = await open();
    const datasetId = randomUUID();
    const volume = await api.createVolume(datasetId, GIB);
    await expect(api.createVolume(datasetId, 2 * GIB)).rejects.toMatchObject({
      code: 'DATASET_EXISTS',
      datasetId,
      blockDeviceId: volume.blockDeviceId,
    });
    await api.destroyVolume(volume.blockDeviceId);
  });

  it('listVolumes filters by the cluster tag on the server and pages through every result', async () => {
    const clusterId = randomUUID();
    const api = await open({}, 0, clusterId);
    const mine = Array.from({ length: 501 }, () =>
      emulator.fabric.createVolume({
        zone: 'us-east-1a',
        sizeGiB: 1,
        volumeType: 'gp3',
        tags: [
          [CLUSTER_ID_TAG, clusterId],
          [DATASET_ID_TAG, randomUUID()],
        ],
      }),
    );
    for (let i = 0; i < 20; i += 1)
      emulator.fabric.createVolume({ zone: 'us-east-1a', sizeGiB: 1, volumeType: 'gp3' });
    const before = emulator.ec2.count('DescribeVolumes');
    const listed = await api.listVolumes();
    expect(emulator.ec2.count('DescribeVolumes') - before).toBe(2);
    expect(listed.map((v) => v.blockDeviceId).sort()).toEqual(mine.map((v) => v.id).sort());
  });

  it('maps profiles to volume types: gold io2 with IOPS per GiB, silver gp3, bronze standard; gold too small falls back to gp3', async () => {
    const api = await open();
    const log: LogEntry[] = [];
    const logged = await open({}, 0, randomUUID(), log);
    const created = {
      gold: await api.createVolumeWithProfile(randomUUID(), 4 * GIB, 'gold'),
      silver: await api.createVolumeWithProfile(randomUUID(), GIB, 'silver'),
      bronze: await api.createVolumeWithProfile(randomUUID(), GIB, 'bronze'),
      default: await api.createVolumeWithProfile(randomUUID(), GIB, 'default'),
      small: await logged.createVolumeWithProfile(randomUUID(), GIB, 'gold'),
    };
    const kind = (id: string) => {
      const volume = emulator.fabric.volume(id);
      return { type: volume?.volumeType, iops: volume?.iops };
    };
    expect(
      Object.fromEntries(Object.entries(created).map(([name, volume]) => [name, kind(volume.blockDeviceId)])),
    ).toEqual({
      gold: { type: 'io2', iops: 200 },
      silver: { type: 'gp3', iops: 3000 },
      bronze: { type: 'standard', iops: undefined },
      default: { type: 'standard', iops: undefined },
      small: { type: 'gp3', iops: 3000 },
    });
    expect(log.find((entry) => entry.message_type === 'aws:profile_fallback')).toMatchObject({
      profileName: 'gold',
    });
    await expect(api.createVolumeWithProfile(randomUUID(), GIB, 'platinum')).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
    });
    for (const volume of [...Object.values(created)])
      await (volume === created.small ? logged : api).destroyVolume(volume.blockDeviceId);
  });

  it('an attachment stuck in attaching past attach_ms is detached and reported as TIMEOUT', async () => {
    const api = await open({ timeouts: { attach_ms: 300 } });
    const volume = await api.createVolume(randomUUID(), GIB);
    emulator.faults.set({ lifecycle: { 'stuck-attaching': { calls: [1] } } });
    await expect(api.attachVolume(volume.blockDeviceId, await api.computeInstanceId())).rejects.toMatchObject(
      {
        code: 'TIMEOUT',
        what: expect.stringContaining('stuck attaching'),
      },
    );
    expect(emulator.fabric.volume(volume.blockDeviceId)).toMatchObject({
      state: 'available',
      attachment: undefined,
    });
    expect((await api.listVolumes())[0]?.attachedTo).toBeNull();
    await api.destroyVolume(volume.blockDeviceId);
  });

  it.skipIf(skipUnlessRoot() !== undefined)(
    'skips device names EC2 refuses as in use, and remembers them',
    async () => {
      const log: LogEntry[] = [];
      const api = await open({}, 2, randomUUID(), log);
      const node = await api.computeInstanceId();
      const first = await api.createVolume(randomUUID(), GIB);
      await api.attachVolume(first.blockDeviceId, node);
      expect(emulator.fabric.volume(first.blockDeviceId)?.attachment?.device).toBe('/dev/sdh');
      const refused = log
        .filter((entry) => entry.message_type === 'aws:device_name_refused')
        .map((entry) => entry.device);
      expect(refused).toEqual(['/dev/sdf', '/dev/sdg']);
      await api.detachVolume(first.blockDeviceId);
      await api.destroyVolume(first.blockDeviceId);
    },
  );

  it('listLiveNodes lists running instances only', async () => {
    const api = await open();
    const stopped = instanceOf(emulator, 1).id;
    emulator.fabric.setInstanceState(stopped, 'stopped');
    try {
      const live = await api.listLiveNodes();
      expect(live).toContain(instanceOf(emulator, 0).id);
      expect(live).not.toContain(stopped);
    } finally {
      emulator.fabric.setInstanceState(stopped, 'running');
    }
  });

  it("refuses a zone that is not the instance's, and reports an unreachable IMDS as UNKNOWN_INSTANCE_ID", async () => {
    await expect(open({ zone: 'us-east-1b' })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    await expect(open({ imds_endpoint: 'http://127.0.0.1:9' })).rejects.toMatchObject({
      code: 'UNKNOWN_INSTANCE_ID',
    });
  });

  it('loads through the plugin loader with the cluster id, logging every EC2 call without a secret', async () => {
    const log: LogEntry[] = [];
    const api = await createBlockDeviceAPI(
      FLOCKER_BACKEND,
      { backend: 'aws', ...emulatorConfig(emulator, instanceOf(emulator, 0)) },
      { clusterId: randomUUID(), configDir: '/', logger: createLogger({ sink: (entry) => log.push(entry) }) },
    );
    const volume = await api.createVolume(randomUUID(), GIB);
    await expect(api.attachVolume(volume.blockDeviceId, 'i-0123456789abcdef0')).rejects.toMatchObject({
      code: 'BACKEND',
    });
    await api.destroyVolume(volume.blockDeviceId);
    expect(log.some((entry) => entry.action_type === 'aws:ec2:CreateVolume')).toBe(true);
    expect(JSON.stringify(log)).not.toContain(EMULATOR_CREDENTIALS.secret_access_key);
  });
});
