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
  StartInstancesCommand,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type CloudEmulator, EC2_RATE_LIMITS, startCloudEmulator } from '../src/index.js';
import { ec2Client, ec2Failure } from './sdk.js';

const TIMINGS = { createMs: 60, attachMs: 60, detachMs: 60, deleteMs: 40 };
let emulator: CloudEmulator;
let ec2: EC2Client;
let instanceId: string;
let otherZoneInstance: string;

beforeAll(async () => {
  // No devices: this file is about the API, and runs as any user. devices.test.ts covers the data path.
  emulator = await startCloudEmulator({
    devices: false,
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

async function describe1(volumeId: string) {
  const { Volumes } = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }));
  return Volumes?.[0];
}

/** Waits for a state (and attachment state), bounded for a loaded machine. */
async function until(volumeId: string, state: string, attachment?: string): Promise<void> {
  await expect
    .poll(
      async () => {
        const volume = await describe1(volumeId);
        return [volume?.State, attachment === undefined ? undefined : volume?.Attachments?.[0]?.State];
      },
      { timeout: 20_000, interval: 20 },
    )
    .toEqual([state, attachment]);
}

/** Resolves when the fabric ends a transition of `volumeId` in `to`. */
function transition(volumeId: string, to: string): Promise<void> {
  return new Promise((resolve) => {
    const off = emulator.fabric.onTransition((event) => {
      if (event.volumeId === volumeId && event.to === to) {
        off();
        resolve();
      }
    });
  });
}

describe('state transitions', () => {
  it('CreateVolume answers creating, and DescribeVolumes shows creating until the fabric makes it available', async () => {
    // Held in `creating` by a fault, so that no clock decides what the describes see.
    emulator.faults.set({ lifecycle: { 'stuck-creating': { calls: [1] } } });
    const created = await createVolume({ VolumeType: 'gp3' });
    expect(created).toMatchObject({
      State: 'creating',
      Size: 1,
      VolumeType: 'gp3',
      AvailabilityZone: 'us-east-1a',
      Iops: 3000,
    });
    const id = created.VolumeId ?? '';
    await expect.poll(() => emulator.fabric.held()).toContain(id);
    expect(await stateOf(id)).toBe('creating');
    const available = transition(id, 'available');
    emulator.fabric.release(id);
    await available;
    expect(await stateOf(id)).toBe('available');
  });

  it('attach goes attaching -> attached, detach detaching -> available, delete deleting -> gone', async () => {
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
    const gone = transition(VolumeId, 'deleted');
    await ec2.send(new DeleteVolumeCommand({ VolumeId }));
    await gone;
    expect(await ec2Failure(stateOf(VolumeId))).toEqual({ code: 'InvalidVolume.NotFound', status: 400 });
    // `deleting` in between, seen where no timer can pass it by: a delete longer than any test.
    const slow = await createVolume();
    await until(slow.VolumeId ?? '', 'available');
    emulator.fabric.timings = { ...TIMINGS, deleteMs: 10 * 60_000 };
    try {
      await ec2.send(new DeleteVolumeCommand({ VolumeId: slow.VolumeId }));
    } finally {
      emulator.fabric.timings = TIMINGS;
    }
    expect(await stateOf(slow.VolumeId ?? '')).toBe('deleting');
  });
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
    // Held creating until released: a loaded machine could otherwise finish the transition before the attach.
    emulator.faults.set({ lifecycle: { 'stuck-creating': { every: 1 } } });
    const { VolumeId = '' } = await createVolume();
    expect(
      await ec2Failure(
        ec2.send(new AttachVolumeCommand({ VolumeId, InstanceId: instanceId, Device: '/dev/sdf' })),
      ),
    ).toEqual({
      code: 'IncorrectState',
      status: 400,
    });
    emulator.faults.set({});
    await expect.poll(() => emulator.fabric.held()).toContain(VolumeId);
    emulator.fabric.release(VolumeId);
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

  /** Twelve new volumes tagged `key` with a value of their own: their sorted ids, and the filter that finds them. */
  const taggedVolumes = async (key: string) => {
    const mark = `${key}-${Date.now()}`;
    const created = await Promise.all(
      Array.from({ length: 12 }, () =>
        createVolume({ TagSpecifications: [{ ResourceType: 'volume', Tags: [{ Key: key, Value: mark }] }] }),
      ),
    );
    return {
      ids: created.map((v) => v.VolumeId ?? '').sort(),
      Filters: [{ Name: `tag:${key}`, Values: [mark] }],
    };
  };
  /** Every page of `Filters`, five at a time; `onPage` sees each page's ids and whether a next one follows. */
  const pageThrough = async (
    Filters: { Name: string; Values: string[] }[],
    onPage: (ids: string[], more: boolean) => void = () => {},
  ): Promise<string[]> => {
    const seen: string[] = [];
    let NextToken: string | undefined;
    do {
      const page = await ec2.send(new DescribeVolumesCommand({ Filters, MaxResults: 5, NextToken }));
      const ids = (page.Volumes ?? []).map((v) => v.VolumeId ?? '');
      seen.push(...ids);
      onPage(ids, page.NextToken !== undefined);
      NextToken = page.NextToken;
    } while (NextToken);
    return seen.sort();
  };

  it('a volume deleted between two pages makes the next page skip none of those that stay', async () => {
    const { ids, Filters } = await taggedVolumes('gone');
    // Every volume a page listed goes before the next page is asked for, as other callers' deletes do.
    const seen = await pageThrough(Filters, (page) => {
      for (const id of page) emulator.fabric.vanish(id);
    });
    expect(seen).toEqual(ids);
  });

  it('pages with MaxResults and NextToken, refuses bad page sizes and foreign tokens', async () => {
    const { ids, Filters } = await taggedVolumes('page');
    const pages: { size: number; more: boolean }[] = [];
    expect(await pageThrough(Filters, (page, more) => pages.push({ size: page.length, more }))).toEqual(ids);
    // Filters apply to each page of every volume, as on EC2: the earlier volumes of this file make pages
    // that are short or empty and still have a next one.
    expect(pages.some(({ size, more }) => size < 5 && more)).toBe(true);
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
      await ec2Failure(ec2.send(new DescribeVolumesCommand({ VolumeIds: [ids[0] ?? ''], MaxResults: 5 }))),
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

  it('a token whose volume is gone is refused; a repeat of a live one shows the volume as it is now', async () => {
    const ClientToken = `token-gone-${Date.now()}`;
    const first = await createVolume({ ClientToken });
    await until(first.VolumeId ?? '', 'available');
    expect((await createVolume({ ClientToken })).State).toBe('available');
    const gone = transition(first.VolumeId ?? '', 'deleted');
    await ec2.send(new DeleteVolumeCommand({ VolumeId: first.VolumeId }));
    await gone;
    expect(await ec2Failure(createVolume({ ClientToken }))).toEqual({
      code: 'IdempotentParameterMismatch',
      status: 400,
    });
  });

  it('a volume type without capacity is InsufficientVolumeCapacity; other types still create', async () => {
    emulator.faults.set({ exhaustedVolumeTypes: ['io2'] });
    expect(await ec2Failure(createVolume({ VolumeType: 'io2', Size: 4, Iops: 200 }))).toEqual({
      code: 'InsufficientVolumeCapacity',
      status: 400,
    });
    await createVolume({ VolumeType: 'gp3' });
    expect(emulator.faults.injected.get('exhausted')).toBe(1);
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
    // The buckets' clock stands still unless the test moves it.
    let now = 0;
    emulator.faults.set({ throttle: { capacity: 3, refillPerSecond: 2 }, clock: () => now });
    const results: unknown[] = [];
    for (let call = 0; call < 5; call += 1) {
      results.push(await ec2Failure(ec2.send(new DescribeVolumesCommand({}))).catch(() => 'ok'));
    }
    const throttled = { code: 'RequestLimitExceeded', status: 503 };
    expect(results).toEqual(['ok', 'ok', 'ok', throttled, throttled]);
    expect(emulator.faults.injected.get('throttle')).toBe(2);
    now += 500;
    await ec2.send(new DescribeVolumesCommand({}));
    expect(await ec2Failure(ec2.send(new DescribeVolumesCommand({})))).toEqual(throttled);
    emulator.faults.set({ throttle: { capacity: 3, refillPerSecond: 20 } });
    // The SDK's adaptive retry gets through a throttled bucket on its own.
    const adaptive = ec2Client(emulator, { maxAttempts: 10, retryMode: 'adaptive' });
    await Promise.all(Array.from({ length: 8 }, () => adaptive.send(new DescribeVolumesCommand({}))));
  });

  it("EC2's rate limits: a bucket per action with its category's capacity and refill, counted per action", async () => {
    let now = 0;
    emulator.faults.set({ rateLimits: EC2_RATE_LIMITS, clock: () => now });
    const outcomes = async (count: number, send: () => Promise<unknown>) => {
      const results: string[] = [];
      for (let call = 0; call < count; call += 1) {
        results.push(
          await send().then(
            () => 'ok',
            (error: unknown) => (error as Error).name,
          ),
        );
      }
      return results;
    };
    const ok = (n: number) => Array.from({ length: n }, () => 'ok');
    // Unfiltered and unpaginated: the smaller bucket (50 tokens, 10/s).
    const unfiltered = () => ec2.send(new DescribeVolumesCommand({}));
    expect(await outcomes(51, unfiltered)).toEqual([...ok(50), 'RequestLimitExceeded']);
    // Filtered: the non-mutating bucket (100 tokens, 20/s), untouched by the unfiltered calls.
    const filtered = () =>
      ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'volume-id', Values: ['vol-1'] }] }));
    expect(await outcomes(101, filtered)).toEqual([...ok(100), 'RequestLimitExceeded']);
    // DetachVolume is a mutating action: 50 tokens; an empty bucket answers before the volume is looked at.
    const detach = () => ec2.send(new DetachVolumeCommand({ VolumeId: 'vol-00000000000000000' }));
    const detaches = await outcomes(51, detach);
    expect(detaches.slice(0, 50).every((name) => name === 'InvalidVolume.NotFound')).toBe(true);
    expect(detaches[50]).toBe('RequestLimitExceeded');
    expect(emulator.faults.throttled).toEqual(
      new Map([
        ['DescribeVolumes', 2],
        ['DetachVolume', 1],
      ]),
    );
    // One second refills 10 tokens of the small bucket and 5 of the mutating one.
    now += 1000;
    expect(await outcomes(11, unfiltered)).toEqual([...ok(10), 'RequestLimitExceeded']);
    expect((await outcomes(6, detach)).at(-1)).toBe('RequestLimitExceeded');
    expect(await ec2Failure(unfiltered())).toEqual({ code: 'RequestLimitExceeded', status: 503 });
  });

  it('a new volume is missing from its first newVolumeInvisibleLooks looks, by id or in a listing', async () => {
    emulator.faults.set({ newVolumeInvisibleLooks: 2 });
    const { VolumeId = '' } = await createVolume();
    expect(await ec2Failure(stateOf(VolumeId))).toEqual({ code: 'InvalidVolume.NotFound', status: 400 });
    const listed = await ec2.send(
      new DescribeVolumesCommand({ Filters: [{ Name: 'volume-id', Values: [VolumeId] }] }),
    );
    expect(listed.Volumes).toEqual([]);
    expect(await stateOf(VolumeId)).toBeDefined();
    expect(emulator.faults.injected.get('invisible')).toBe(1);
  });

  it('injected latency is dealt per call', async () => {
    emulator.faults.set({ latencyMs: { DescribeAvailabilityZones: 20 } });
    await ec2.send(new DescribeAvailabilityZonesCommand({}));
    await ec2.send(new DescribeVolumesCommand({}));
    expect(emulator.faults.injected.get('latency')).toBe(1);
  });
});

describe('lifecycle faults, in the states and codes EC2 reports', () => {
  const available = async (): Promise<string> => {
    const { VolumeId = '' } = await createVolume();
    await until(VolumeId, 'available');
    return VolumeId;
  };
  const attach = (VolumeId: string, Device = '/dev/sdp') =>
    ec2.send(new AttachVolumeCommand({ VolumeId, InstanceId: instanceId, Device }));

  it('create-error: the n-th created volume goes creating -> error, and can be deleted', async () => {
    emulator.faults.set({ lifecycle: { 'create-error': { calls: [2] } } });
    const first = await createVolume();
    const second = await createVolume();
    await until(second.VolumeId ?? '', 'error');
    await until(first.VolumeId ?? '', 'available');
    expect(emulator.faults.injected.get('create-error')).toBe(1);
    await ec2.send(new DeleteVolumeCommand({ VolumeId: second.VolumeId }));
  });

  it('stuck-creating: creating until released; a delete meanwhile is IncorrectState', async () => {
    emulator.faults.set({ lifecycle: { 'stuck-creating': { every: 1 } } });
    const { VolumeId = '' } = await createVolume();
    await expect.poll(() => emulator.fabric.held()).toContain(VolumeId);
    expect(await stateOf(VolumeId)).toBe('creating');
    expect(await ec2Failure(ec2.send(new DeleteVolumeCommand({ VolumeId })))).toEqual({
      code: 'IncorrectState',
      status: 400,
    });
    emulator.fabric.release(VolumeId);
    await until(VolumeId, 'available');
  });

  it('a held state with holdCalls goes on after that many API calls, whatever the clock says', async () => {
    emulator.faults.set({ lifecycle: { 'stuck-creating': { calls: [1], holdCalls: 3 } } });
    const { VolumeId = '' } = await createVolume();
    await expect.poll(() => emulator.fabric.held()).toContain(VolumeId);
    expect(await stateOf(VolumeId)).toBe('creating');
    expect(await stateOf(VolumeId)).toBe('creating');
    // The third call since the hold began releases it; the create time then runs as usual.
    await stateOf(VolumeId);
    expect(emulator.fabric.held()).not.toContain(VolumeId);
    await until(VolumeId, 'available');
  });

  it('attach-error: the attachment fails, the volume is error with no attachment', async () => {
    const VolumeId = await available();
    emulator.faults.set({ lifecycle: { 'attach-error': { calls: [1] } } });
    expect((await attach(VolumeId)).State).toBe('attaching');
    await until(VolumeId, 'error');
    expect((await describe1(VolumeId))?.Attachments).toEqual([]);
    expect(emulator.faults.injected.get('attach-error')).toBe(1);
    await ec2.send(new DeleteVolumeCommand({ VolumeId }));
  });

  it('stuck-attaching: attaching until a forced detach', async () => {
    const VolumeId = await available();
    emulator.faults.set({ lifecycle: { 'stuck-attaching': { calls: [1] } } });
    await attach(VolumeId);
    await expect.poll(() => emulator.fabric.held()).toContain(VolumeId);
    expect((await describe1(VolumeId))?.Attachments?.[0]?.State).toBe('attaching');
    await ec2.send(new DetachVolumeCommand({ VolumeId, Force: true }));
    await until(VolumeId, 'available');
  });

  it('busy-detach: the attachment is busy and the volume in-use until a forced detach', async () => {
    const VolumeId = await available();
    await attach(VolumeId);
    await until(VolumeId, 'in-use', 'attached');
    emulator.faults.set({ lifecycle: { 'busy-detach': { calls: [1] } } });
    expect((await ec2.send(new DetachVolumeCommand({ VolumeId }))).State).toBe('busy');
    expect(await describe1(VolumeId)).toMatchObject({ State: 'in-use', Attachments: [{ State: 'busy' }] });
    expect(await ec2Failure(ec2.send(new DetachVolumeCommand({ VolumeId })))).toEqual({
      code: 'IncorrectState',
      status: 400,
    });
    await ec2.send(new DetachVolumeCommand({ VolumeId, Force: true }));
    await until(VolumeId, 'available');
    expect(emulator.faults.injected.get('busy-detach')).toBe(1);
  });

  it('stuck-detaching: detaching until a forced detach', async () => {
    const VolumeId = await available();
    await attach(VolumeId);
    await until(VolumeId, 'in-use', 'attached');
    emulator.faults.set({ lifecycle: { 'stuck-detaching': { calls: [1] } } });
    await ec2.send(new DetachVolumeCommand({ VolumeId }));
    await expect.poll(() => emulator.fabric.held()).toContain(VolumeId);
    expect(await describe1(VolumeId)).toMatchObject({
      State: 'in-use',
      Attachments: [{ State: 'detaching' }],
    });
    await ec2.send(new DetachVolumeCommand({ VolumeId, Force: true }));
    await until(VolumeId, 'available');
  });

  it('an instance that stopped is started again: StartInstances says pending, then it runs', async () => {
    const stateName = async () =>
      (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [otherZoneInstance] }))).Reservations?.[0]
        ?.Instances?.[0]?.State?.Name;
    emulator.fabric.stopInstance(otherZoneInstance);
    expect(await stateName()).toBe('stopped');
    const started = await ec2.send(new StartInstancesCommand({ InstanceIds: [otherZoneInstance] }));
    expect(started.StartingInstances).toEqual([
      {
        InstanceId: otherZoneInstance,
        CurrentState: { Code: 0, Name: 'pending' },
        PreviousState: { Code: 80, Name: 'stopped' },
      },
    ]);
    await expect.poll(stateName, { timeout: 20_000 }).toBe('running');
    const stopped = await ec2.send(new StopInstancesCommand({ InstanceIds: [otherZoneInstance] }));
    expect(stopped.StoppingInstances?.[0]?.CurrentState?.Name).toBe('stopped');
    await ec2.send(new StartInstancesCommand({ InstanceIds: [otherZoneInstance] }));
    await expect.poll(stateName, { timeout: 20_000 }).toBe('running');
    expect(
      await ec2Failure(ec2.send(new StartInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] }))),
    ).toEqual({ code: 'InvalidInstanceID.NotFound', status: 400 });
  });
});
