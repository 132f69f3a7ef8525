import { setTimeout as sleep } from 'node:timers/promises';
import {
  AttachVolumeCommand,
  CreateTagsCommand,
  CreateVolumeCommand,
  DeleteVolumeCommand,
  DescribeAvailabilityZonesCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  DetachVolumeCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type CloudEmulator, startCloudEmulator } from '../src/index.js';
import { ec2Client, ec2Failure, isRoot } from './sdk.js';

const TIMINGS = { createMs: 60, attachMs: 60, detachMs: 60, deleteMs: 40 };
let emulator: CloudEmulator;
let ec2: EC2Client;
let instanceId: string;
let otherZoneInstance: string;

beforeAll(async () => {
  emulator = await startCloudEmulator({
    timings: TIMINGS,
    instances: [{}, { zone: 'us-east-1b' }, { hiddenDevices: ['/dev/sdg'] }],
  });
  ec2 = ec2Client(emulator);
  instanceId = emulator.instances[0]?.id ?? '';
  otherZoneInstance = emulator.instances[1]?.id ?? '';
});
afterAll(() => emulator.stop());
beforeEach(() => emulator.faults.set({}));

const createVolume = (extra: Partial<ConstructorParameters<typeof CreateVolumeCommand>[0]> = {}) =>
  ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 1, ...extra }));

async function stateOf(volumeId: string): Promise<string | undefined> {
  const { Volumes } = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }));
  return Volumes?.[0]?.State;
}

async function until(volumeId: string, state: string, attachment?: string): Promise<void> {
  for (let tries = 0; tries < 300; tries += 1) {
    const { Volumes } = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }));
    const volume = Volumes?.[0];
    if (
      volume?.State === state &&
      (attachment === undefined || volume.Attachments?.[0]?.State === attachment)
    )
      return;
    await sleep(20);
  }
  throw new Error(`${volumeId} never became ${state}/${attachment}`);
}

describe('state transitions', () => {
  it('CreateVolume answers creating, then DescribeVolumes shows available after the create time', async () => {
    // Long enough that a slow first request on a loaded machine still sees `creating`.
    const createMs = 1500;
    emulator.fabric.timings = { ...TIMINGS, createMs };
    try {
      const started = Date.now();
      const created = await createVolume({ VolumeType: 'gp3' });
      expect(created).toMatchObject({
        State: 'creating',
        Size: 1,
        VolumeType: 'gp3',
        AvailabilityZone: 'us-east-1a',
        Iops: 3000,
      });
      expect(await stateOf(created.VolumeId ?? '')).toBe('creating');
      await until(created.VolumeId ?? '', 'available');
      // Timers may fire late on a loaded machine, never early.
      expect(Date.now() - started).toBeGreaterThanOrEqual(createMs);
    } finally {
      emulator.fabric.timings = TIMINGS;
    }
  });

  it.skipIf(!isRoot)(
    'attach goes attaching -> attached, detach detaching -> available, delete deleting -> gone',
    async () => {
      const { VolumeId = '' } = await createVolume();
      await until(VolumeId, 'available');
      const attach = await ec2.send(
        new AttachVolumeCommand({ VolumeId, InstanceId: instanceId, Device: '/dev/sdf' }),
      );
      expect(attach).toMatchObject({ State: 'attaching', Device: '/dev/sdf', InstanceId: instanceId });
      await until(VolumeId, 'in-use', 'attached');
      const { Reservations } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
      expect(Reservations?.[0]?.Instances?.[0]?.BlockDeviceMappings?.map((m) => m.DeviceName)).toEqual([
        '/dev/xvda',
        '/dev/sdf',
      ]);
      const detach = await ec2.send(new DetachVolumeCommand({ VolumeId }));
      expect(detach.State).toBe('detaching');
      await until(VolumeId, 'available');
      // Long enough that a slow request on a loaded machine still sees `deleting`.
      const deleteMs = 1000;
      emulator.fabric.timings = { ...TIMINGS, deleteMs };
      try {
        await ec2.send(new DeleteVolumeCommand({ VolumeId }));
        expect(await stateOf(VolumeId)).toBe('deleting');
        await sleep(deleteMs + 50);
        expect(await ec2Failure(stateOf(VolumeId))).toEqual({ code: 'InvalidVolume.NotFound', status: 400 });
      } finally {
        emulator.fabric.timings = TIMINGS;
      }
    },
  );
});

describe('errors, with the codes and statuses of the EC2 API reference', () => {
  it('unknown and malformed ids', async () => {
    expect(await ec2Failure(stateOf('vol-0123456789abcdef0'))).toEqual({
      code: 'InvalidVolume.NotFound',
      status: 400,
    });
    expect(await ec2Failure(stateOf('volume-1'))).toEqual({ code: 'InvalidVolumeID.Malformed', status: 400 });
    expect(
      await ec2Failure(ec2.send(new DeleteVolumeCommand({ VolumeId: 'vol-0123456789abcdef0' }))),
    ).toEqual({
      code: 'InvalidVolume.NotFound',
      status: 400,
    });
    expect(
      await ec2Failure(ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] }))),
    ).toEqual({
      code: 'InvalidInstanceID.NotFound',
      status: 400,
    });
  });

  it('volume type rules: io2 below 4 GiB, io1 without IOPS, IOPS on gp2, too many IOPS per GiB', async () => {
    expect(await ec2Failure(createVolume({ VolumeType: 'io2', Iops: 100 }))).toEqual({
      code: 'InvalidParameterValue',
      status: 400,
    });
    expect(await ec2Failure(createVolume({ VolumeType: 'io1', Size: 4 }))).toEqual({
      code: 'MissingParameter',
      status: 400,
    });
    expect(await ec2Failure(createVolume({ VolumeType: 'gp2', Iops: 100 }))).toEqual({
      code: 'InvalidParameterCombination',
      status: 400,
    });
    expect(await ec2Failure(createVolume({ VolumeType: 'io1', Size: 4, Iops: 1000 }))).toEqual({
      code: 'InvalidParameterValue',
      status: 400,
    });
    expect(await ec2Failure(createVolume({ AvailabilityZone: 'us-east-1z' }))).toEqual({
      code: 'InvalidZone.NotFound',
      status: 400,
    });
  });

  it('attach and detach refusals', async () => {
    const { VolumeId = '' } = await createVolume();
    expect(
      await ec2Failure(
        ec2.send(new AttachVolumeCommand({ VolumeId, InstanceId: instanceId, Device: '/dev/sdf' })),
      ),
    ).toEqual({
      code: 'IncorrectState',
      status: 400,
    });
    await until(VolumeId, 'available');
    const attach = (Device: string, InstanceId = instanceId) =>
      ec2.send(new AttachVolumeCommand({ VolumeId, InstanceId, Device }));
    expect(await ec2Failure(attach('/dev/sdf', otherZoneInstance))).toEqual({
      code: 'InvalidVolume.ZoneMismatch',
      status: 400,
    });
    expect(await ec2Failure(attach('/dev/hda'))).toEqual({ code: 'InvalidParameterValue', status: 400 });
    expect(await ec2Failure(attach('/dev/xvda'))).toEqual({ code: 'InvalidParameterValue', status: 400 });
    expect(await ec2Failure(ec2.send(new DetachVolumeCommand({ VolumeId })))).toEqual({
      code: 'IncorrectState',
      status: 400,
    });
    await attach('/dev/sdh');
    expect(await ec2Failure(attach('/dev/sdi'))).toEqual({ code: 'VolumeInUse', status: 400 });
    const second = await createVolume();
    await until(second.VolumeId ?? '', 'available');
    // sdh and xvdh are one slot: EC2 refuses the second name as in use.
    expect(
      await ec2Failure(
        ec2.send(
          new AttachVolumeCommand({ VolumeId: second.VolumeId, InstanceId: instanceId, Device: '/dev/xvdh' }),
        ),
      ),
    ).toEqual({ code: 'InvalidParameterValue', status: 400 });
    expect(await ec2Failure(ec2.send(new DeleteVolumeCommand({ VolumeId })))).toEqual({
      code: 'VolumeInUse',
      status: 400,
    });
    expect(
      await ec2Failure(ec2.send(new DetachVolumeCommand({ VolumeId, InstanceId: otherZoneInstance }))),
    ).toEqual({
      code: 'InvalidAttachment.NotFound',
      status: 400,
    });
    await ec2.send(new DetachVolumeCommand({ VolumeId, Force: true }));
    await until(VolumeId, 'available');
  });

  it('a name only the instance knows (attached by its AMI) is refused though DescribeInstances does not list it', async () => {
    const hidden = emulator.instances[2]?.id ?? '';
    const { VolumeId = '' } = await createVolume();
    await until(VolumeId, 'available');
    const { Reservations } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [hidden] }));
    expect(Reservations?.[0]?.Instances?.[0]?.BlockDeviceMappings?.map((m) => m.DeviceName)).toEqual([
      '/dev/xvda',
    ]);
    const failure = await ec2Failure(
      ec2.send(new AttachVolumeCommand({ VolumeId, InstanceId: hidden, Device: '/dev/sdg' })),
    );
    expect(failure).toEqual({ code: 'InvalidParameterValue', status: 400 });
  });

  it('an unknown action and an unknown filter', async () => {
    expect(
      await ec2Failure(
        ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'colour', Values: ['red'] }] })),
      ),
    ).toEqual({
      code: 'InvalidParameterValue',
      status: 400,
    });
    const response = await fetch(emulator.url, {
      method: 'POST',
      body: 'Action=RunInstances&Version=2016-11-15',
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('<Code>InvalidAction</Code>');
  });
});

describe('DescribeVolumes filters and pagination', () => {
  it('filters by tag:KEY, tag-key, status and attachment.instance-id, with globs', async () => {
    const mark = `run-${Date.now()}`;
    const tagged = await createVolume({
      TagSpecifications: [
        {
          ResourceType: 'volume',
          Tags: [
            { Key: 'cluster', Value: mark },
            { Key: 'role', Value: 'db-primary' },
          ],
        },
      ],
    });
    const other = await createVolume({
      TagSpecifications: [{ ResourceType: 'volume', Tags: [{ Key: 'cluster', Value: 'other' }] }],
    });
    const ids = async (Filters: { Name: string; Values: string[] }[]) =>
      ((await ec2.send(new DescribeVolumesCommand({ Filters }))).Volumes ?? []).map((v) => v.VolumeId).sort();
    expect(await ids([{ Name: 'tag:cluster', Values: [mark] }])).toEqual([tagged.VolumeId]);
    expect(await ids([{ Name: 'tag:role', Values: ['db-*'] }])).toEqual([tagged.VolumeId]);
    expect(await ids([{ Name: 'tag:cluster', Values: [mark, 'other'] }])).toEqual(
      [tagged.VolumeId, other.VolumeId].sort(),
    );
    expect(
      await ids([
        { Name: 'tag-key', Values: ['role'] },
        { Name: 'tag:cluster', Values: [mark] },
      ]),
    ).toEqual([tagged.VolumeId]);
    expect(
      await ids([
        { Name: 'tag:cluster', Values: [mark] },
        { Name: 'status', Values: ['in-use'] },
      ]),
    ).toEqual([]);
    expect(await ids([{ Name: 'attachment.instance-id', Values: ['i-0123456789abcdef0'] }])).toEqual([]);
    await ec2.send(
      new CreateTagsCommand({ Resources: [other.VolumeId ?? ''], Tags: [{ Key: 'cluster', Value: mark }] }),
    );
    expect(await ids([{ Name: 'tag:cluster', Values: [mark] }])).toEqual(
      [tagged.VolumeId, other.VolumeId].sort(),
    );
  });

  it('pages with MaxResults and NextToken, refuses bad page sizes and foreign tokens', async () => {
    const mark = `page-${Date.now()}`;
    const created = await Promise.all(
      Array.from({ length: 12 }, () =>
        createVolume({
          TagSpecifications: [{ ResourceType: 'volume', Tags: [{ Key: 'page', Value: mark }] }],
        }),
      ),
    );
    const Filters = [{ Name: 'tag:page', Values: [mark] }];
    const seen: string[] = [];
    let NextToken: string | undefined;
    let pages = 0;
    do {
      const page = await ec2.send(new DescribeVolumesCommand({ Filters, MaxResults: 5, NextToken }));
      seen.push(...(page.Volumes ?? []).map((v) => v.VolumeId ?? ''));
      NextToken = page.NextToken;
      pages += 1;
    } while (NextToken);
    expect({ pages, seen: seen.sort() }).toEqual({ pages: 3, seen: created.map((v) => v.VolumeId).sort() });
    expect(await ec2Failure(ec2.send(new DescribeVolumesCommand({ Filters, MaxResults: 4 })))).toEqual({
      code: 'InvalidParameterValue',
      status: 400,
    });
    expect(await ec2Failure(ec2.send(new DescribeVolumesCommand({ Filters, MaxResults: 501 })))).toEqual({
      code: 'InvalidParameterValue',
      status: 400,
    });
    const first = await ec2.send(new DescribeVolumesCommand({ Filters, MaxResults: 5 }));
    const foreign = ec2.send(new DescribeVolumesCommand({ MaxResults: 5, NextToken: first.NextToken }));
    expect(await ec2Failure(foreign)).toEqual({ code: 'InvalidPaginationToken', status: 400 });
    expect(
      await ec2Failure(
        ec2.send(new DescribeVolumesCommand({ VolumeIds: [created[0]?.VolumeId ?? ''], MaxResults: 5 })),
      ),
    ).toEqual({ code: 'InvalidParameterCombination', status: 400 });
  });

  it('DescribeInstances filters running instances; DescribeAvailabilityZones lists the zones', async () => {
    emulator.fabric.setInstanceState(otherZoneInstance, 'stopped');
    try {
      const { Reservations } = await ec2.send(
        new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['running'] }] }),
      );
      const running = (Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId);
      expect(running).toContain(instanceId);
      expect(running).not.toContain(otherZoneInstance);
    } finally {
      emulator.fabric.setInstanceState(otherZoneInstance, 'running');
    }
    const zones = await ec2.send(new DescribeAvailabilityZonesCommand({}));
    expect(zones.AvailabilityZones?.map((z) => [z.ZoneName, z.State])).toEqual([
      ['us-east-1a', 'available'],
      ['us-east-1b', 'available'],
    ]);
  });
});

describe('ClientToken idempotency', () => {
  it('the same token and parameters give the first volume and make no second one', async () => {
    const ClientToken = `token-${Date.now()}`;
    const before = emulator.fabric.volumes().length;
    const first = await createVolume({ ClientToken, Size: 2 });
    const again = await createVolume({ ClientToken, Size: 2 });
    expect(again.VolumeId).toBe(first.VolumeId);
    expect(emulator.fabric.volumes().length).toBe(before + 1);
  });

  it('the same token with other parameters is IdempotentParameterMismatch', async () => {
    const ClientToken = `token-mismatch-${Date.now()}`;
    await createVolume({ ClientToken, Size: 2 });
    expect(await ec2Failure(createVolume({ ClientToken, Size: 3 }))).toEqual({
      code: 'IdempotentParameterMismatch',
      status: 400,
    });
  });

  it('a create whose reply was lost (5xx after it took effect) and is retried by the SDK makes one volume', async () => {
    emulator.faults.set({ serverErrors: { rate: 1, operations: ['CreateVolume'] }, seed: 3 });
    const before = emulator.fabric.volumes().length;
    const failure = await ec2Failure(createVolume({ ClientToken: `lost-${Date.now()}` }));
    expect(failure).toEqual({ code: 'InternalError', status: 500 });
    emulator.faults.set({});
    expect(emulator.fabric.volumes().length - before).toBeLessThanOrEqual(1);
    const retrying = ec2Client(emulator, { maxAttempts: 5 });
    emulator.faults.set({ serverErrors: { rate: 0.5, operations: ['CreateVolume'] }, seed: 7 });
    const ClientToken = `retried-${Date.now()}`;
    const counted = emulator.fabric.volumes().length;
    const created = await retrying.send(
      new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 1, ClientToken }),
    );
    expect(created.$metadata.attempts).toBeGreaterThan(1);
    expect(emulator.fabric.volumes().length).toBe(counted + 1);
  });
});

describe('fault injection', () => {
  it('throttling answers RequestLimitExceeded (503) once the bucket is empty, and refills', async () => {
    emulator.faults.set({ throttle: { capacity: 3, refillPerSecond: 2 } });
    const results = await Promise.all(
      Array.from({ length: 6 }, () => ec2Failure(ec2.send(new DescribeVolumesCommand({}))).catch(() => 'ok')),
    );
    // Three tokens, and at most one more refilled while the six calls are in flight.
    expect(results.filter((r) => r === 'ok').length).toBeGreaterThanOrEqual(3);
    expect(results.filter((r) => r !== 'ok').length).toBeGreaterThanOrEqual(2);
    expect(results).toContainEqual({ code: 'RequestLimitExceeded', status: 503 });
    await sleep(600);
    await ec2.send(new DescribeVolumesCommand({}));
    // The SDK's adaptive retry gets through a throttled bucket on its own.
    const adaptive = ec2Client(emulator, { maxAttempts: 10, retryMode: 'adaptive' });
    await Promise.all(Array.from({ length: 8 }, () => adaptive.send(new DescribeVolumesCommand({}))));
  });

  it('a new volume is invisible to DescribeVolumes for newVolumeInvisibleMs', async () => {
    emulator.faults.set({ newVolumeInvisibleMs: 1000 });
    const { VolumeId = '' } = await createVolume();
    expect(await ec2Failure(stateOf(VolumeId))).toEqual({ code: 'InvalidVolume.NotFound', status: 400 });
    const listed = await ec2.send(
      new DescribeVolumesCommand({ Filters: [{ Name: 'volume-id', Values: [VolumeId] }] }),
    );
    expect(listed.Volumes).toEqual([]);
    await sleep(1050);
    expect(await stateOf(VolumeId)).toBeDefined();
  });

  it('slow responses take at least the injected latency', async () => {
    emulator.faults.set({ latencyMs: { DescribeAvailabilityZones: 120 } });
    const started = Date.now();
    await ec2.send(new DescribeAvailabilityZonesCommand({}));
    expect(Date.now() - started).toBeGreaterThanOrEqual(115);
  });

  it('a stuck attachment stays attaching until it is detached', async () => {
    emulator.faults.set({ stuckAttachments: 1 });
    const { VolumeId = '' } = await createVolume();
    await until(VolumeId, 'available');
    await ec2.send(new AttachVolumeCommand({ VolumeId, InstanceId: instanceId, Device: '/dev/sdp' }));
    await sleep(TIMINGS.attachMs * 3);
    const { Volumes } = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [VolumeId] }));
    expect(Volumes?.[0]?.Attachments?.[0]?.State).toBe('attaching');
    await ec2.send(new DetachVolumeCommand({ VolumeId, Force: true }));
    await until(VolumeId, 'available');
  });
});
