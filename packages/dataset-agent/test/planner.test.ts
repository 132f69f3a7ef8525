import { describe, expect, it } from 'vitest';
import {
  type ClusterConfiguration,
  type DatasetState,
  DEFAULT_DATASET_SIZE,
  type DesiredDataset,
  type DiscoveredVolume,
  type PlanInput,
  plan,
} from '../src/index.js';

const ME = 'node-a';
const OTHER = 'node-b';
const DATASET = '0f5b6a3e-8c1d-4e2f-9a7b-1c2d3e4f5a6b';
const MIB = 1024 * 1024;
const SIZE = 64 * MIB;
const ROOT = '/flocker';
const MOUNT = `${ROOT}/${DATASET}`;
const VOLUME = 'block-1';

function dataset(fields: Partial<DesiredDataset> = {}): DesiredDataset {
  return { datasetId: DATASET, primary: ME, maximumSize: SIZE, metadata: {}, deleted: false, ...fields };
}

type Fields = Partial<PlanInput> & { datasets?: DesiredDataset[]; ownership?: Map<string, string> };

function input(fields: Fields = {}): PlanInput {
  const { datasets = [], ownership, ...rest } = fields;
  const configuration: ClusterConfiguration = {
    datasets,
    leases: [],
    ...(ownership === undefined ? {} : { ownership }),
  };
  return {
    nodeId: ME,
    instanceId: ME,
    mountRoot: ROOT,
    configuration,
    volumes: [],
    liveNodes: null,
    canResize: false,
    canRegister: false,
    allocationUnit: MIB,
    now: 1_000,
    ...rest,
  };
}

function volume(
  attachedTo: string | null,
  fields: Partial<DiscoveredVolume> = {},
  size = SIZE,
): DiscoveredVolume {
  return { volume: { blockDeviceId: VOLUME, size, attachedTo, datasetId: DATASET }, ...fields };
}

const device = (
  over: Partial<NonNullable<DiscoveredVolume['device']>> = {},
): NonNullable<DiscoveredVolume['device']> => ({
  path: '/dev/loop7',
  signature: { kind: 'filesystem', type: 'ext4' },
  mountPoints: [],
  size: SIZE,
  filesystemSize: SIZE,
  ...over,
});

/** The inputs that make discovery find each dataset state. */
const DISCOVERED: Record<DatasetState, Fields> = {
  NON_EXISTENT: {},
  UNREGISTERED: { canRegister: true, volumes: [volume(null)] },
  REGISTERED: { canRegister: true, ownership: new Map([[DATASET, 'block-unlisted']]) },
  NON_MANIFEST: { volumes: [volume(null)] },
  ATTACHED_NO_FILESYSTEM: { volumes: [volume(ME, { device: device({ signature: { kind: 'none' } }) })] },
  ATTACHED: { volumes: [volume(ME, { device: device() })] },
  MOUNTED: { volumes: [volume(ME, { device: device({ mountPoints: [MOUNT] }) })] },
  ATTACHED_ELSEWHERE: { volumes: [volume(OTHER)] },
  ATTACHED_TO_DEAD_NODE: { volumes: [volume(OTHER)], liveNodes: new Set([ME]) },
  ATTACHED_UNKNOWN_DATA: {
    volumes: [
      volume(ME, { device: device({ signature: { kind: 'other', type: 'dos', usage: 'partition table' } }) }),
    ],
  },
  MOUNTED_OTHER_PATH: { volumes: [volume(ME, { device: device({ mountPoints: ['/mnt/elsewhere'] }) })] },
};

/** The desired states, as configuration says them. */
const DESIRED = {
  MOUNTED: [dataset()],
  NON_MANIFEST: [dataset({ primary: OTHER })],
  DELETED: [dataset({ deleted: true })],
} as const;

/** What one round does: a change kind, `wait`, a problem code, or `-` for nothing. */
const TABLE: Record<DatasetState, Record<keyof typeof DESIRED, string>> = {
  NON_EXISTENT: { MOUNTED: 'create-volume', NON_MANIFEST: '-', DELETED: '-' },
  UNREGISTERED: { MOUNTED: 'register-volume', NON_MANIFEST: 'register-volume', DELETED: 'register-volume' },
  REGISTERED: { MOUNTED: 'wait', NON_MANIFEST: '-', DELETED: '-' },
  NON_MANIFEST: { MOUNTED: 'attach-volume', NON_MANIFEST: '-', DELETED: 'destroy-volume' },
  ATTACHED_NO_FILESYSTEM: {
    MOUNTED: 'create-filesystem',
    NON_MANIFEST: 'detach-volume',
    DELETED: 'detach-volume',
  },
  ATTACHED: { MOUNTED: 'mount', NON_MANIFEST: 'detach-volume', DELETED: 'detach-volume' },
  MOUNTED: { MOUNTED: '-', NON_MANIFEST: 'unmount', DELETED: 'unmount' },
  ATTACHED_ELSEWHERE: { MOUNTED: 'wait', NON_MANIFEST: '-', DELETED: '-' },
  ATTACHED_TO_DEAD_NODE: { MOUNTED: 'detach-volume', NON_MANIFEST: '-', DELETED: 'detach-volume' },
  ATTACHED_UNKNOWN_DATA: {
    MOUNTED: 'DEVICE_HOLDS_DATA',
    NON_MANIFEST: 'detach-volume',
    DELETED: 'detach-volume',
  },
  MOUNTED_OTHER_PATH: {
    MOUNTED: 'MOUNTED_OTHER_PATH',
    NON_MANIFEST: 'MOUNTED_OTHER_PATH',
    DELETED: 'MOUNTED_OTHER_PATH',
  },
};

function outcome(result: ReturnType<typeof plan>): string {
  const outcomes = [
    ...result.changes.map((change) => change.kind),
    ...result.waits.map(() => 'wait'),
    ...result.problems.map((problem) => problem.code),
  ];
  expect(outcomes.length).toBeLessThanOrEqual(1);
  return outcomes[0] ?? '-';
}

describe('the transition table', () => {
  const rows = Object.entries(TABLE).flatMap(([found, wants]) =>
    Object.entries(wants).map(
      ([want, expected]) => [found as DatasetState, want as keyof typeof DESIRED, expected] as const,
    ),
  );

  it.each(rows)('discovered %s, desired %s: %s', (found, want, expected) => {
    const result = plan(input({ ...DISCOVERED[found], datasets: [...DESIRED[want]] }));
    expect(outcome(result)).toBe(expected);
  });

  it('covers every discovered state against every desired state', () => {
    expect(rows).toHaveLength(11 * 3);
  });

  it('classifies each row as the state it is named after (reported for datasets this node holds)', () => {
    for (const found of Object.keys(DISCOVERED) as DatasetState[]) {
      if (found === 'NON_EXISTENT') continue;
      const result = plan(input({ ...DISCOVERED[found], datasets: [...DESIRED.MOUNTED] }));
      expect(result.report.map((r) => r.state)).toEqual([found]);
    }
  });
});

describe('changes carry what their executor needs', () => {
  it('creates at the desired size rounded up to the allocation unit, with the profile from metadata', () => {
    const result = plan(
      input({
        datasets: [dataset({ maximumSize: SIZE + 1, metadata: { 'clusterhq:flocker:profile': 'gold' } })],
      }),
    );
    expect(result.changes).toEqual([
      { kind: 'create-volume', datasetId: DATASET, size: SIZE + MIB, profile: 'gold' },
    ]);
  });

  it('creates 75 GiB when no size is given, as the original', () => {
    const result = plan(input({ datasets: [dataset({ maximumSize: null })] }));
    expect(result.changes).toEqual([
      { kind: 'create-volume', datasetId: DATASET, size: DEFAULT_DATASET_SIZE },
    ]);
  });

  it('mounts only at <mount-root>/<dataset_id>, and unmounts by that path', () => {
    expect(plan(input({ ...DISCOVERED.ATTACHED, datasets: [...DESIRED.MOUNTED] })).changes).toEqual([
      { kind: 'mount', datasetId: DATASET, device: '/dev/loop7', mountPath: MOUNT },
    ]);
    expect(plan(input({ ...DISCOVERED.MOUNTED, datasets: [...DESIRED.NON_MANIFEST] })).changes).toEqual([
      { kind: 'unmount', datasetId: DATASET, device: '/dev/loop7', mountPath: MOUNT },
    ]);
  });

  it("detaches a local volume naming its device (checked unmounted), a dead node's without one", () => {
    expect(plan(input({ ...DISCOVERED.ATTACHED, datasets: [...DESIRED.DELETED] })).changes).toEqual([
      { kind: 'detach-volume', datasetId: DATASET, blockDeviceId: VOLUME, device: '/dev/loop7' },
    ]);
    expect(
      plan(input({ ...DISCOVERED.ATTACHED_TO_DEAD_NODE, datasets: [...DESIRED.MOUNTED] })).changes,
    ).toEqual([{ kind: 'detach-volume', datasetId: DATASET, blockDeviceId: VOLUME }]);
  });

  it('releases before it acquires', () => {
    const second = 'a0000000-0000-4000-8000-000000000000';
    const result = plan(
      input({
        volumes: [volume(ME, { device: device({ mountPoints: [MOUNT] }) })],
        datasets: [dataset({ primary: OTHER }), { ...dataset(), datasetId: second }],
      }),
    );
    expect(result.changes.map((change) => change.kind)).toEqual(['unmount', 'create-volume']);
  });
});

describe('moves and deletes, round by round', () => {
  it('a move: the old primary unmounts then detaches; the new one waits, then attaches and mounts (no mkfs)', () => {
    const moved = [dataset({ primary: OTHER })];
    expect(outcome(plan(input({ ...DISCOVERED.MOUNTED, datasets: moved })))).toBe('unmount');
    expect(outcome(plan(input({ ...DISCOVERED.ATTACHED, datasets: moved })))).toBe('detach-volume');
    const onB = (attachedTo: string | null, device?: DiscoveredVolume['device']) =>
      plan(
        input({
          nodeId: OTHER,
          instanceId: OTHER,
          datasets: moved,
          volumes: [volume(attachedTo, device ? { device } : {})],
        }),
      );
    expect(outcome(onB(ME))).toBe('wait');
    expect(outcome(onB(null))).toBe('attach-volume');
    expect(outcome(onB(OTHER, device()))).toBe('mount');
  });

  it('a delete is done by the primary only; other nodes leave the volume alone', () => {
    const deleted = [dataset({ deleted: true })];
    expect(outcome(plan(input({ ...DISCOVERED.NON_MANIFEST, datasets: deleted })))).toBe('destroy-volume');
    expect(
      outcome(
        plan(input({ nodeId: OTHER, instanceId: OTHER, ...DISCOVERED.NON_MANIFEST, datasets: deleted })),
      ),
    ).toBe('-');
  });

  it("a dataset mounted here under this node's lease stays mounted when moved or deleted; an expired lease protects nothing", () => {
    const leased = (expiresAt: number | null) =>
      input({
        ...DISCOVERED.MOUNTED,
        configuration: {
          datasets: [dataset({ primary: OTHER })],
          leases: [{ datasetId: DATASET, expiresAt }],
        },
      });
    expect(outcome(plan(leased(null)))).toBe('-');
    expect(outcome(plan(leased(2_000)))).toBe('-');
    expect(outcome(plan(leased(500)))).toBe('unmount');
  });

  it('a dataset known here but absent from the configuration is let go, never destroyed', () => {
    expect(outcome(plan(input({ ...DISCOVERED.MOUNTED })))).toBe('unmount');
    expect(outcome(plan(input({ ...DISCOVERED.ATTACHED })))).toBe('detach-volume');
    expect(outcome(plan(input({ ...DISCOVERED.NON_MANIFEST })))).toBe('-');
  });
});

describe('dead nodes', () => {
  it('counts a node dead only when the backend lists live nodes and it is not among them', () => {
    const on = (liveNodes: Set<string> | null) =>
      outcome(plan(input({ volumes: [volume(OTHER)], liveNodes, datasets: [dataset()] })));
    expect(on(null)).toBe('wait');
    expect(on(new Set([ME, OTHER]))).toBe('wait');
    expect(on(new Set([ME]))).toBe('detach-volume');
  });
});

describe('resize, where the backend declares it', () => {
  const bigger = [dataset({ maximumSize: 2 * SIZE })];

  it('grows a detached volume before attaching it, then its filesystem before mounting it', () => {
    expect(outcome(plan(input({ ...DISCOVERED.NON_MANIFEST, datasets: bigger, canResize: true })))).toBe(
      'resize-volume',
    );
    expect(
      plan(input({ ...DISCOVERED.NON_MANIFEST, datasets: bigger, canResize: true })).changes[0],
    ).toMatchObject({
      size: 2 * SIZE,
    });
    const grown = [volume(ME, { device: device({ size: 2 * SIZE, filesystemSize: SIZE }) }, 2 * SIZE)];
    expect(outcome(plan(input({ volumes: grown, datasets: bigger, canResize: true })))).toBe(
      'grow-filesystem',
    );
    const done = [volume(ME, { device: device({ size: 2 * SIZE, filesystemSize: 2 * SIZE }) }, 2 * SIZE)];
    expect(outcome(plan(input({ volumes: done, datasets: bigger, canResize: true })))).toBe('mount');
  });

  it('lets go of an attached or mounted volume to grow it, unless this node holds a lease on it', () => {
    expect(outcome(plan(input({ ...DISCOVERED.ATTACHED, datasets: bigger, canResize: true })))).toBe(
      'detach-volume',
    );
    expect(outcome(plan(input({ ...DISCOVERED.MOUNTED, datasets: bigger, canResize: true })))).toBe(
      'unmount',
    );
    const leased = input({
      ...DISCOVERED.MOUNTED,
      canResize: true,
      configuration: { datasets: bigger, leases: [{ datasetId: DATASET, expiresAt: null }] },
    });
    expect(outcome(plan(leased))).toBe('-');
  });

  it('ignores size differences when the backend cannot resize, as the original', () => {
    expect(outcome(plan(input({ ...DISCOVERED.NON_MANIFEST, datasets: bigger })))).toBe('attach-volume');
    expect(outcome(plan(input({ ...DISCOVERED.MOUNTED, datasets: bigger })))).toBe('-');
    expect(outcome(plan(input({ ...DISCOVERED.ATTACHED, datasets: bigger })))).toBe('mount');
  });

  it('never shrinks', () => {
    const smaller = [dataset({ maximumSize: SIZE / 2 })];
    expect(outcome(plan(input({ ...DISCOVERED.NON_MANIFEST, datasets: smaller, canResize: true })))).toBe(
      'attach-volume',
    );
  });
});

describe('volumes it leaves alone', () => {
  it('skips volumes without a valid dataset id', () => {
    const odd = { volume: { blockDeviceId: 'vol-x', size: SIZE, attachedTo: ME, datasetId: '' } };
    const upper = {
      volume: { blockDeviceId: 'vol-y', size: SIZE, attachedTo: null, datasetId: 'NOT-A-UUID' },
    };
    const result = plan(input({ volumes: [odd, upper] }));
    expect(result).toEqual({ changes: [], waits: [], problems: [], report: [] });
  });

  it('uses the registered volume and leaves an extra one claiming the dataset alone, reporting it when attached here', () => {
    const extra: DiscoveredVolume = {
      volume: { blockDeviceId: 'block-0', size: SIZE, attachedTo: ME, datasetId: DATASET },
      device: device({ path: '/dev/loop9' }),
    };
    const result = plan(
      input({
        canRegister: true,
        volumes: [extra, volume(null)],
        configuration: {
          datasets: [dataset({ primary: OTHER })],
          leases: [],
          ownership: new Map([[DATASET, VOLUME]]),
        },
      }),
    );
    expect(result.changes).toEqual([]);
    expect(result.problems.map((p) => p.code)).toEqual(['EXTRA_VOLUME']);
  });

  it('without a registry takes the attached volume, else the smallest id, and never touches the others', () => {
    const spare = { volume: { blockDeviceId: 'block-0', size: SIZE, attachedTo: null, datasetId: DATASET } };
    const attachedElsewhere = plan(input({ volumes: [spare, volume(OTHER)], datasets: [dataset()] }));
    expect(attachedElsewhere.changes).toEqual([]);
    expect(attachedElsewhere.waits).toHaveLength(1);
    const bothFree = plan(input({ volumes: [volume(null), spare], datasets: [dataset()] }));
    expect(bothFree.changes).toEqual([
      { kind: 'attach-volume', datasetId: DATASET, blockDeviceId: 'block-0' },
    ]);
  });

  it('leaves a volume attached here without a usable device alone, whatever is desired', () => {
    for (const want of Object.values(DESIRED)) {
      const result = plan(
        input({
          volumes: [volume(ME, { deviceError: '/dev/sdz is not a block device' })],
          datasets: [...want],
        }),
      );
      expect(result.changes).toEqual([]);
      expect(result.problems.map((p) => p.code)).toEqual(['NO_DEVICE']);
    }
  });

  it('counts a device mounted at its own path and somewhere else as mounted elsewhere: never unmounted nor detached', () => {
    const both = [volume(ME, { device: device({ mountPoints: [MOUNT, '/mnt/copy'] }) })];
    for (const want of Object.values(DESIRED)) {
      expect(outcome(plan(input({ volumes: both, datasets: [...want] })))).toBe('MOUNTED_OTHER_PATH');
    }
  });
});

describe('the report', () => {
  it('lists datasets attached here and those this node should hold, with device, mount path and size', () => {
    const result = plan(input({ ...DISCOVERED.MOUNTED, datasets: [...DESIRED.MOUNTED] }));
    expect(result.report).toEqual([
      {
        datasetId: DATASET,
        state: 'MOUNTED',
        blockDeviceId: VOLUME,
        devicePath: '/dev/loop7',
        mountPath: MOUNT,
        size: SIZE,
      },
    ]);
  });

  it('carries the problem of a dataset left alone', () => {
    const result = plan(input({ ...DISCOVERED.ATTACHED_UNKNOWN_DATA, datasets: [...DESIRED.MOUNTED] }));
    expect(result.report[0]?.error?.code).toBe('DEVICE_HOLDS_DATA');
    expect(result.report[0]?.error?.message).toMatch(/dos signature \(partition table\).*never formatted/);
  });

  it('leaves out volumes attached to other nodes that this node does not hold', () => {
    expect(plan(input({ ...DISCOVERED.ATTACHED_ELSEWHERE })).report).toEqual([]);
  });
});
