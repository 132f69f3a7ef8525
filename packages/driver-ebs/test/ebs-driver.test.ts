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
  MAX_CLIENT_TOKEN_GENERATIONS,
  METADATA_VERSION_TAG,
  PROFILE_TAG,
} from '../src/index.js';
import { EMULATOR_CREDENTIALS, emulatorConfig, instanceOf } from './emulated-cloud.js';

// Driver logic the conformance suite cannot see: tags, tokens, paging, profiles, faults. The emulator has no
// devices here (no root needed): every volume attaches to another instance than the driver's own, whose
// device would never appear. device-busy.test.ts holds what needs a device.
let emulator: CloudEmulator;
beforeAll(async () => {
  emulator = await startCloudEmulator({
    devices: false,
    timings: { createMs: 40, attachMs: 40, detachMs: 40, deleteMs: 20, instanceMs: 40 },
    instances: [{}, { zone: 'us-east-1b' }, { hiddenDevices: ['/dev/sdf', '/dev/sdg'] }, {}],
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
    {
      clusterId,
      ...(log === undefined ? {} : { logger: createLogger({ sink: (entry) => log.push(entry) }) }),
    },
  );

/** The instance volumes attach to in these tests: in the driver's zone, not the driver's own. */
const peer = () => instanceOf(emulator, 3).id;

const volumesOf = (datasetId: string) =>
  emulator.fabric.volumes().filter((v) => v.tags.get(DATASET_ID_TAG) === datasetId && v.state !== 'deleting');

/** Resolves when the fabric ends a transition of `volumeId` in `to`. */
const transition = (volumeId: string, to: string): Promise<void> =>
  new Promise((resolve) => {
    const off = emulator.fabric.onTransition((event) => {
      if (event.volumeId === volumeId && event.to === to) {
        off();
        resolve();
      }
    });
  });

/** Deletes a volume straight in the fabric once it is available. */
async function waitAndDelete(id: string): Promise<void> {
  if (emulator.fabric.volume(id)?.state === 'creating') await transition(id, 'available');
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
      [PROFILE_TAG]: 'bronze',
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
    expect(volumesOf(datasetId).map((v) => v.id)).toEqual([volume.blockDeviceId]);
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
      const api = await AwsEbsDriver.open(config, { clusterId: randomUUID(), ec2 });
      const datasetId = randomUUID();
      // Invisible too: the retry cannot find the volume by its tags, only the token finds it.
      emulator.faults.set({
        serverErrors: { rate: 1, operations: ['CreateVolume'], when: 'after' },
        newVolumeInvisibleLooks: 1,
      });
      await expect(api.createVolume(datasetId, GIB)).rejects.toMatchObject({
        code: 'BACKEND',
        failure: 'transient',
      });
      emulator.faults.set({});
      const again = await api.createVolume(datasetId, GIB);
      const volumes = volumesOf(datasetId);
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

  it('the lookup of a dataset’s volume follows NextToken: a filtered page may be empty and still go on', async () => {
    const clusterId = randomUUID();
    const api = await open({ page_size: 5 }, 0, clusterId);
    // Other volumes listed before the dataset's push it past the first pages of five.
    const others = Array.from({ length: 12 }, () =>
      emulator.fabric.createVolume({ zone: 'us-east-1a', sizeGiB: 1, volumeType: 'gp3' }),
    );
    const datasetId = randomUUID();
    const volume = await api.createVolume(datasetId, GIB);
    const position = emulator.fabric.volumes().findIndex((v) => v.id === volume.blockDeviceId);
    expect(position).toBeGreaterThanOrEqual(12);
    // A fresh process: no memory of the first create, and another size, so only the lookup can tell.
    const restarted = await open({ page_size: 5 }, 0, clusterId);
    await expect(restarted.createVolume(datasetId, 2 * GIB)).rejects.toMatchObject({
      code: 'DATASET_EXISTS',
      blockDeviceId: volume.blockDeviceId,
    });
    expect(volumesOf(datasetId)).toHaveLength(1);
    await api.destroyVolume(volume.blockDeviceId);
    for (const other of others) await waitAndDelete(other.id);
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
    // Only this listing's calls count: a wait left polling by an earlier test may describe volumes meanwhile.
    let calls = 0;
    const stop = emulator.ec2.onRequest((action, params) => {
      const filters = params.filters();
      if (action === 'DescribeVolumes' && filters.some((f) => f.values.includes(clusterId))) calls += 1;
    });
    const listed = await api.listVolumes();
    stop();
    const pages = Math.ceil(emulator.fabric.volumes().length / 500);
    expect(calls).toBe(pages);
    expect(listed.map((v) => v.blockDeviceId).sort()).toEqual(mine.map((v) => v.id).sort());
    for (const volume of emulator.fabric.volumes()) {
      if (volume.state !== 'deleting') await waitAndDelete(volume.id);
    }
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

  it('a profile whose type EC2 refuses (no capacity) falls back to the default type, logged', async () => {
    const log: LogEntry[] = [];
    const api = await open({}, 0, randomUUID(), log);
    emulator.faults.set({ exhaustedVolumeTypes: ['io2'] });
    const volume = await api.createVolumeWithProfile(randomUUID(), 4 * GIB, 'gold');
    expect(emulator.faults.injected.get('exhausted')).toBe(1);
    expect(emulator.fabric.volume(volume.blockDeviceId)?.volumeType).toBe('gp3');
    expect(log.find((entry) => entry.message_type === 'aws:profile_fallback')).toMatchObject({
      profileName: 'gold',
      reason: expect.stringContaining('InsufficientVolumeCapacity'),
    });
    await api.destroyVolume(volume.blockDeviceId);
  });

  it('a volume that goes to error while being created is reported at once, deleted, and never reused', async () => {
    const clusterId = randomUUID();
    // The default create bound (300 s): a wait that polled through `error` would outlive the test.
    const api = await open({ timeouts: { create_ms: 300_000 } }, 0, clusterId);
    const datasetId = randomUUID();
    emulator.faults.set({ lifecycle: { 'create-error': { calls: [1] } } });
    let failed: string | undefined;
    const off = emulator.fabric.onTransition((event) => {
      if (event.to === 'error') failed = event.volumeId;
    });
    const error = await api.createVolume(datasetId, GIB).then(
      () => undefined,
      (rejected: unknown) => rejected,
    );
    off();
    expect(error).toMatchObject({ code: 'BACKEND', message: expect.stringContaining('went to error') });
    expect(emulator.faults.injected.get('create-error')).toBe(1);
    expect(failed).toBeDefined();
    expect(emulator.fabric.volume(failed ?? '')?.state ?? 'deleted').toMatch(/^delet/);
    // A new process creating the dataset again gets a new, live volume: the token is not bound to the dead one.
    const restarted = await open({}, 0, clusterId);
    const volume = await restarted.createVolume(datasetId, GIB);
    expect(volume.blockDeviceId).not.toBe(failed);
    expect(emulator.fabric.volume(volume.blockDeviceId)?.state).toBe('available');
    await restarted.destroyVolume(volume.blockDeviceId);
  });

  it('after destroy, a create of the same dataset makes a new volume, again and again, in fresh processes', async () => {
    const clusterId = randomUUID();
    const datasetId = randomUUID();
    const ids: string[] = [];
    // More rounds than a token memory of three generations would allow; each round a new process.
    for (let round = 0; round < 5; round += 1) {
      const api = await open({}, 0, clusterId);
      const volume = await api.createVolume(datasetId, GIB);
      ids.push(volume.blockDeviceId);
      expect(emulator.fabric.volume(volume.blockDeviceId)?.state).toBe('available');
      await api.destroyVolume(volume.blockDeviceId);
    }
    expect(new Set(ids).size).toBe(5);
    expect(MAX_CLIENT_TOKEN_GENERATIONS).toBeGreaterThanOrEqual(5);
  });

  it('an attachment stuck in attaching past attach_ms is detached and reported as TIMEOUT', async () => {
    const api = await open({ timeouts: { attach_ms: 300 } });
    const volume = await api.createVolume(randomUUID(), GIB);
    emulator.faults.set({ lifecycle: { 'stuck-attaching': { calls: [1] } } });
    await expect(api.attachVolume(volume.blockDeviceId, peer())).rejects.toMatchObject({
      code: 'TIMEOUT',
      what: expect.stringContaining('stuck attaching'),
    });
    expect(emulator.fabric.volume(volume.blockDeviceId)).toMatchObject({
      state: 'available',
      attachment: undefined,
    });
    expect((await api.listVolumes())[0]?.attachedTo).toBeNull();
    await api.destroyVolume(volume.blockDeviceId);
  });

  it('a failed undo (the detach after a stuck attach fails too) is reported, never swallowed', async () => {
    const api = await open({ timeouts: { attach_ms: 300 }, max_attempts: 1 });
    const volume = await api.createVolume(randomUUID(), GIB);
    emulator.faults.set({
      lifecycle: { 'stuck-attaching': { calls: [1] } },
      serverErrors: { rate: 1, operations: ['DetachVolume'], when: 'before' },
    });
    const error = await api.attachVolume(volume.blockDeviceId, peer()).then(
      () => undefined,
      (rejected: unknown) => rejected as Error,
    );
    expect(error).toMatchObject({ code: 'BACKEND' });
    expect(error?.message).toMatch(
      /stuck attaching.*undoing it failed too.*InternalError.*may still be attaching/,
    );
    emulator.faults.set({});
    emulator.fabric.detachVolume(volume.blockDeviceId, { force: true });
    await transition(volume.blockDeviceId, 'detached');
    await api.destroyVolume(volume.blockDeviceId);
  });

  it('an attach that EC2 fails to error is reported at once', async () => {
    const api = await open({ timeouts: { attach_ms: 300_000 } });
    const volume = await api.createVolume(randomUUID(), GIB);
    emulator.faults.set({ lifecycle: { 'attach-error': { calls: [1] } } });
    await expect(api.attachVolume(volume.blockDeviceId, peer())).rejects.toMatchObject({
      code: 'BACKEND',
      message: expect.stringContaining('went to error attaching'),
    });
    expect(emulator.faults.injected.get('attach-error')).toBe(1);
    await api.destroyVolume(volume.blockDeviceId);
  });

  it('skips device names EC2 refuses as in use, and remembers them', async () => {
    const log: LogEntry[] = [];
    const api = await open({}, 0, randomUUID(), log);
    const hidden = instanceOf(emulator, 2).id;
    const first = await api.createVolume(randomUUID(), GIB);
    await api.attachVolume(first.blockDeviceId, hidden);
    expect(emulator.fabric.volume(first.blockDeviceId)?.attachment?.device).toBe('/dev/sdh');
    const refused = log
      .filter((entry) => entry.message_type === 'aws:device_name_refused')
      .map((entry) => entry.device);
    expect(refused).toEqual(['/dev/sdf', '/dev/sdg']);
    await api.detachVolume(first.blockDeviceId);
    await api.destroyVolume(first.blockDeviceId);
  });

  it('listLiveNodes lists running instances only; startNode starts a stopped one', async () => {
    const api = await open();
    expect(api.capabilities.startNode).toBe(true);
    const stopped = instanceOf(emulator, 1).id;
    emulator.fabric.stopInstance(stopped);
    const live = await api.listLiveNodes();
    expect(live).toContain(instanceOf(emulator, 0).id);
    expect(live).not.toContain(stopped);
    await api.startNode(stopped);
    await expect.poll(() => api.listLiveNodes(), { timeout: 120_000 }).toContain(stopped);
    await expect(api.startNode('node-1')).rejects.toMatchObject({ code: 'INVALID_ID' });
  });

  it("a zone that is not the instance's is INVALID_CONFIG when first needed; opening asks nothing of IMDS", async () => {
    const wrongZone = await open({ zone: 'us-east-1b' });
    await expect(wrongZone.computeInstanceId()).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    // Nothing listens on port 9: opening works, the first use reports the missing metadata service.
    const noImds = await open({ imds_endpoint: 'http://127.0.0.1:9', imds_timeout_ms: 500 });
    await expect(noImds.computeInstanceId()).rejects.toMatchObject({ code: 'UNKNOWN_INSTANCE_ID' });
    await expect(noImds.createVolume(randomUUID(), GIB)).rejects.toMatchObject({
      code: 'UNKNOWN_INSTANCE_ID',
    });
  });

  it('compute_instance_id overrides the metadata service; an unknown one is UNKNOWN_INSTANCE_ID', async () => {
    const api = await open({
      compute_instance_id: instanceOf(emulator, 1).id,
      imds_endpoint: 'http://127.0.0.1:9',
    });
    expect(await api.computeInstanceId()).toBe(instanceOf(emulator, 1).id);
    const volume = await api.createVolume(randomUUID(), GIB);
    expect(emulator.fabric.volume(volume.blockDeviceId)?.zone).toBe('us-east-1b');
    await api.destroyVolume(volume.blockDeviceId);
    const unknown = await open({ compute_instance_id: 'i-0123456789abcdef0' });
    await expect(unknown.computeInstanceId()).rejects.toMatchObject({ code: 'UNKNOWN_INSTANCE_ID' });
  });

  it('IMDSv1 answers when the IMDSv2 token reply is dropped by the hop limit', async () => {
    const instance = instanceOf(emulator, 0);
    instance.imds.options = { httpTokens: 'optional', tokenHopLimitExceeded: true };
    try {
      // Long enough for a loaded machine's answer to the IMDSv1 read, which the same limit bounds.
      const api = await open({ imds_timeout_ms: 1_000 });
      expect(await api.computeInstanceId()).toBe(instance.id);
      expect(instance.imds.unansweredTokenRequests).toBe(1);
      // IMDSv2 only (the default): the same blocked token leaves no way in, reported as such.
      instance.imds.options = { httpTokens: 'required', tokenHopLimitExceeded: true };
      const strict = await open({ imds_timeout_ms: 1_000 });
      await expect(strict.computeInstanceId()).rejects.toMatchObject({
        code: 'UNKNOWN_INSTANCE_ID',
        message: expect.stringContaining('IMDSv1'),
      });
    } finally {
      instance.imds.options = { httpTokens: 'required', tokenHopLimitExceeded: false };
    }
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
