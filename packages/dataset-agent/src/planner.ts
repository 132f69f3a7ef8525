import { join } from 'node:path';
import { DEFAULT_DATASET_SIZE } from '@flockerjs/control-service';
import type { Signature } from '@flockerjs/linux-block';
import type { ClusterConfiguration, DatasetReport, DatasetState, DesiredDataset } from './cluster-link.js';

/** The size of a dataset whose `maximumSize` is null: 75 GiB, as the original agent (FLOC-2679). */
export { DEFAULT_DATASET_SIZE };
/** The metadata key that selects a storage profile at creation, as the original. */
export const PROFILE_METADATA_KEY = 'clusterhq:flocker:profile';

/** A volume as the driver lists it; `datasetId` may be anything (volumes without a valid one are left alone). */
export interface ListedVolume {
  readonly blockDeviceId: string;
  readonly size: number;
  readonly attachedTo: string | null;
  readonly datasetId: string;
}

/** What this node sees of a volume attached to it. */
export interface LocalDevice {
  /** The device path the driver gave, checked to be a block device. */
  readonly path: string;
  readonly signature: Signature;
  /** Every mount point of this device on this node (by device number), empty when unmounted. */
  readonly mountPoints: readonly string[];
  /** The device's size in bytes. */
  readonly size: number;
  /** The size of its ext4 filesystem, when it has one and it could be read. */
  readonly filesystemSize?: number;
}

/** One volume with what discovery found about it here. */
export interface DiscoveredVolume {
  readonly volume: ListedVolume;
  /** Present when attached here with a valid block device. */
  readonly device?: LocalDevice;
  /** Why an attached-here volume has no usable device (the driver's path is no block device, the call failed). */
  readonly deviceError?: string;
}

/** Everything a plan is computed from: pure data, gathered by discovery. */
export interface PlanInput {
  /** This node's id as desired state's `primary` names it. */
  readonly nodeId: string;
  /** This node's compute instance id (the `attachedTo` of volumes attached here). */
  readonly instanceId: string;
  readonly mountRoot: string;
  readonly configuration: ClusterConfiguration;
  /** Every volume the driver lists (this cluster's). */
  readonly volumes: readonly DiscoveredVolume[];
  /** Instance ids of running nodes, or `null` when the backend cannot tell (then no node counts as dead). */
  readonly liveNodes: ReadonlySet<string> | null;
  /** The driver grows volumes (`capabilities.resize`). */
  readonly canResize: boolean;
  /** The link keeps an ownership registry ({@link ClusterLink.registerVolume}). */
  readonly canRegister: boolean;
  readonly allocationUnit: number;
  /** For lease expiry, epoch ms. */
  readonly now: number;
}

/** One step on the way to the desired state. Every change names its dataset. */
export type StateChange =
  | {
      readonly kind: 'create-volume';
      readonly datasetId: string;
      readonly size: number;
      readonly profile?: string;
    }
  | { readonly kind: 'register-volume'; readonly datasetId: string; readonly blockDeviceId: string }
  | { readonly kind: 'attach-volume'; readonly datasetId: string; readonly blockDeviceId: string }
  | {
      readonly kind: 'resize-volume';
      readonly datasetId: string;
      readonly blockDeviceId: string;
      readonly size: number;
    }
  | { readonly kind: 'create-filesystem'; readonly datasetId: string; readonly device: string }
  | { readonly kind: 'grow-filesystem'; readonly datasetId: string; readonly device: string }
  | {
      readonly kind: 'mount';
      readonly datasetId: string;
      readonly device: string;
      readonly mountPath: string;
    }
  | {
      readonly kind: 'unmount';
      readonly datasetId: string;
      readonly device: string;
      readonly mountPath: string;
    }
  | {
      readonly kind: 'detach-volume';
      readonly datasetId: string;
      readonly blockDeviceId: string;
      /** The local device, which must not be mounted anywhere; absent when detaching from another (dead) node. */
      readonly device?: string;
    }
  | { readonly kind: 'destroy-volume'; readonly datasetId: string; readonly blockDeviceId: string };

export type StateChangeKind = StateChange['kind'];

/** What this node wants for a dataset, the original's desired states. */
export type DesiredState = 'MOUNTED' | 'NON_MANIFEST' | 'DELETED';

/** A dataset the agent is waiting on (another node must let go first, a listing must catch up). */
export interface Wait {
  readonly datasetId: string;
  readonly reason: string;
}

/** A dataset the agent leaves alone because acting would risk data; reported, never acted on. */
export interface Problem {
  readonly datasetId: string;
  readonly code: ProblemCode;
  readonly message: string;
}

/** Stable codes of {@link Problem}s. */
export const PROBLEM_CODES = [
  'DEVICE_HOLDS_DATA',
  'MOUNTED_OTHER_PATH',
  'NO_DEVICE',
  'EXTRA_VOLUME',
] as const;
export type ProblemCode = (typeof PROBLEM_CODES)[number];

export interface Plan {
  /** At most one change per dataset, releases (unmount, detach, destroy) before acquisitions. */
  readonly changes: readonly StateChange[];
  readonly waits: readonly Wait[];
  readonly problems: readonly Problem[];
  /** What this node holds, for {@link ClusterLink.report}. */
  readonly report: readonly DatasetReport[];
}

/** One dataset's discovered state with the volume and device behind it. */
export interface Classified {
  readonly datasetId: string;
  readonly state: DatasetState;
  readonly owner?: DiscoveredVolume;
  /** Other volumes claiming the dataset, left alone. */
  readonly extras: readonly DiscoveredVolume[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const RELEASES: ReadonlySet<StateChangeKind> = new Set(['unmount', 'detach-volume', 'destroy-volume']);

/** `<mountRoot>/<datasetId>`: the only place a dataset is ever mounted. */
export function mountPathOf(mountRoot: string, datasetId: string): string {
  return join(mountRoot, datasetId);
}

/**
 * The discovered state of every dataset that has a volume or an ownership record, as the original's
 * `discover_state`, with two fixes: a device mounted anywhere but its own mount point is MOUNTED_OTHER_PATH (not
 * ATTACHED), and a device holding a signature that is no filesystem is ATTACHED_UNKNOWN_DATA. Volumes without a
 * valid dataset id are skipped.
 */
export function classify(input: PlanInput): Map<string, Classified> {
  const byDataset = new Map<string, DiscoveredVolume[]>();
  for (const discovered of input.volumes) {
    if (!UUID.test(discovered.volume.datasetId)) continue;
    const list = byDataset.get(discovered.volume.datasetId) ?? [];
    list.push(discovered);
    byDataset.set(discovered.volume.datasetId, list);
  }
  const ownership = input.configuration.ownership;
  const result = new Map<string, Classified>();
  for (const datasetId of new Set([...byDataset.keys(), ...(ownership?.keys() ?? [])])) {
    const claims = byDataset.get(datasetId) ?? [];
    const registered = ownership?.get(datasetId);
    if (registered !== undefined) {
      const owner = claims.find((claim) => claim.volume.blockDeviceId === registered);
      const extras = claims.filter((claim) => claim !== owner);
      result.set(
        datasetId,
        owner === undefined
          ? { datasetId, state: 'REGISTERED', extras }
          : { datasetId, state: volumeState(owner, datasetId, input), owner, extras },
      );
      continue;
    }
    const [owner, ...extras] = [...claims].sort(preferAttached);
    if (owner === undefined) continue;
    const state = input.canRegister ? 'UNREGISTERED' : volumeState(owner, datasetId, input);
    result.set(datasetId, { datasetId, state, owner, extras });
  }
  return result;
}

/** Without a registry, the volume in use wins: attached somewhere first, then the smallest id (stable across nodes). */
function preferAttached(a: DiscoveredVolume, b: DiscoveredVolume): number {
  const attached = Number(b.volume.attachedTo !== null) - Number(a.volume.attachedTo !== null);
  if (attached !== 0) return attached;
  return a.volume.blockDeviceId < b.volume.blockDeviceId
    ? -1
    : a.volume.blockDeviceId > b.volume.blockDeviceId
      ? 1
      : 0;
}

function volumeState(owner: DiscoveredVolume, datasetId: string, input: PlanInput): DatasetState {
  const { attachedTo } = owner.volume;
  if (attachedTo === input.instanceId) {
    const device = owner.device;
    if (device === undefined) return 'NON_MANIFEST';
    const mountPath = mountPathOf(input.mountRoot, datasetId);
    if (device.mountPoints.some((point) => point !== mountPath)) return 'MOUNTED_OTHER_PATH';
    if (device.mountPoints.length > 0) return 'MOUNTED';
    if (device.signature.kind === 'none') return 'ATTACHED_NO_FILESYSTEM';
    if (device.signature.kind === 'filesystem') return 'ATTACHED';
    return 'ATTACHED_UNKNOWN_DATA';
  }
  if (attachedTo === null) return 'NON_MANIFEST';
  if (input.liveNodes !== null && !input.liveNodes.has(attachedTo)) return 'ATTACHED_TO_DEAD_NODE';
  return 'ATTACHED_ELSEWHERE';
}

/**
 * What this node wants for each dataset, as the original's `_calculate_desired_state`: MOUNTED or DELETED for
 * datasets whose primary is this node, NON_MANIFEST for every other dataset it knows. A dataset mounted here
 * under an unexpired lease of this node stays MOUNTED whatever the configuration says.
 */
export function desiredStates(
  input: PlanInput,
  discovered: ReadonlyMap<string, Classified>,
): Map<string, { state: DesiredState; dataset?: DesiredDataset }> {
  const result = new Map<string, { state: DesiredState; dataset?: DesiredDataset }>();
  for (const dataset of input.configuration.datasets) {
    const mine = dataset.primary === input.nodeId;
    const state: DesiredState = !mine ? 'NON_MANIFEST' : dataset.deleted ? 'DELETED' : 'MOUNTED';
    result.set(dataset.datasetId, { state, dataset });
  }
  for (const datasetId of discovered.keys()) {
    if (!result.has(datasetId)) result.set(datasetId, { state: 'NON_MANIFEST' });
  }
  for (const lease of input.configuration.leases) {
    const entry = result.get(lease.datasetId);
    const expired = lease.expiresAt !== null && lease.expiresAt <= input.now;
    if (entry !== undefined && !expired && discovered.get(lease.datasetId)?.state === 'MOUNTED') {
      result.set(lease.datasetId, { ...entry, state: 'MOUNTED' });
    }
  }
  return result;
}

/** The desired size of a dataset in bytes, rounded up to the allocation unit. */
export function desiredSize(dataset: DesiredDataset | undefined, allocationUnit: number): number {
  const size = dataset?.maximumSize ?? DEFAULT_DATASET_SIZE;
  return Math.ceil(size / allocationUnit) * allocationUnit;
}

/**
 * The plan for one round: for each dataset, the one change that brings it a step closer to what this node
 * wants (the transition table of the package README), plus what it waits on and what it refuses to touch.
 */
export function plan(input: PlanInput): Plan {
  const discovered = classify(input);
  const desired = desiredStates(input, discovered);
  const changes: StateChange[] = [];
  const waits: Wait[] = [];
  const problems: Problem[] = [];
  const ids = [...new Set([...desired.keys(), ...discovered.keys()])].sort();
  for (const datasetId of ids) {
    const found = discovered.get(datasetId) ?? { datasetId, state: 'NON_EXISTENT' as const, extras: [] };
    const want = desired.get(datasetId) ?? { state: 'NON_MANIFEST' as const };
    const step = transition(input, found, want.state, want.dataset);
    if (step.change !== undefined) changes.push(step.change);
    if (step.wait !== undefined) waits.push({ datasetId, reason: step.wait });
    if (step.problem !== undefined) problems.push({ datasetId, ...step.problem });
    for (const extra of found.extras) {
      if (extra.volume.attachedTo !== input.instanceId) continue;
      problems.push({
        datasetId,
        code: 'EXTRA_VOLUME',
        message: `volume ${extra.volume.blockDeviceId} claims dataset ${datasetId}, which volume ${found.owner?.volume.blockDeviceId ?? '(registered, unlisted)'} holds; it is attached here and left alone`,
      });
    }
  }
  changes.sort((a, b) => Number(RELEASES.has(b.kind)) - Number(RELEASES.has(a.kind)));
  return { changes, waits, problems, report: report(input, discovered, problems) };
}

interface Step {
  readonly change?: StateChange;
  readonly wait?: string;
  readonly problem?: { code: ProblemCode; message: string };
}

/** The transition table: one dataset, its discovered and its desired state. */
function transition(
  input: PlanInput,
  found: Classified,
  want: DesiredState,
  dataset: DesiredDataset | undefined,
): Step {
  const { datasetId, owner } = found;
  const volume = owner?.volume;
  const device = owner?.device;
  const mountPath = mountPathOf(input.mountRoot, datasetId);
  const size = desiredSize(dataset, input.allocationUnit);
  const mustGrow = want === 'MOUNTED' && input.canResize && volume !== undefined && volume.size < size;
  const leased = input.configuration.leases.some(
    (lease) => lease.datasetId === datasetId && (lease.expiresAt === null || lease.expiresAt > input.now),
  );
  const id = volume?.blockDeviceId ?? '';
  switch (found.state) {
    case 'NON_EXISTENT': {
      if (want !== 'MOUNTED') return {};
      const profile = dataset?.metadata[PROFILE_METADATA_KEY];
      return {
        change: { kind: 'create-volume', datasetId, size, ...(profile === undefined ? {} : { profile }) },
      };
    }
    case 'UNREGISTERED':
      return { change: { kind: 'register-volume', datasetId, blockDeviceId: id } };
    case 'REGISTERED':
      return want === 'MOUNTED' ? { wait: 'its registered volume is not listed yet' } : {};
    case 'NON_MANIFEST':
      if (volume?.attachedTo !== null) {
        // Attached here, but the driver gave no usable device: touching it could hit the wrong device.
        return {
          problem: {
            code: 'NO_DEVICE',
            message: `volume ${id} is attached here without a usable device: ${owner?.deviceError ?? 'unknown'}`,
          },
        };
      }
      if (want === 'DELETED') return { change: { kind: 'destroy-volume', datasetId, blockDeviceId: id } };
      if (want !== 'MOUNTED') return {};
      if (mustGrow) return { change: { kind: 'resize-volume', datasetId, blockDeviceId: id, size } };
      return { change: { kind: 'attach-volume', datasetId, blockDeviceId: id } };
    case 'ATTACHED_NO_FILESYSTEM':
      if (want !== 'MOUNTED') return detach(datasetId, id, device?.path);
      if (device === undefined) return {};
      return { change: { kind: 'create-filesystem', datasetId, device: device.path } };
    case 'ATTACHED':
      if (want !== 'MOUNTED' || mustGrow) return detach(datasetId, id, device?.path);
      if (device === undefined) return {};
      if (
        input.canResize &&
        device.filesystemSize !== undefined &&
        device.filesystemSize + input.allocationUnit <= device.size
      ) {
        return { change: { kind: 'grow-filesystem', datasetId, device: device.path } };
      }
      return { change: { kind: 'mount', datasetId, device: device.path, mountPath } };
    case 'MOUNTED':
      if (device === undefined) return {};
      if (want !== 'MOUNTED' || (mustGrow && !leased))
        return { change: { kind: 'unmount', datasetId, device: device.path, mountPath } };
      return {};
    case 'ATTACHED_UNKNOWN_DATA':
      if (want !== 'MOUNTED') return detach(datasetId, id, device?.path);
      return {
        problem: {
          code: 'DEVICE_HOLDS_DATA',
          message: `device ${device?.path} of volume ${id} holds ${describe(device?.signature)}, not a filesystem: it is never formatted nor mounted; wipe it or give the dataset another volume`,
        },
      };
    case 'MOUNTED_OTHER_PATH':
      return {
        problem: {
          code: 'MOUNTED_OTHER_PATH',
          message: `device ${device?.path} of volume ${id} is mounted at ${device?.mountPoints.join(', ')}, not only at ${mountPath}: it is never detached nor mounted again until that mount is gone`,
        },
      };
    case 'ATTACHED_ELSEWHERE':
      return want === 'MOUNTED' ? { wait: `volume ${id} is attached to ${volume?.attachedTo}` } : {};
    case 'ATTACHED_TO_DEAD_NODE':
      return want === 'NON_MANIFEST' ? {} : detach(datasetId, id, undefined);
  }
}

function detach(datasetId: string, blockDeviceId: string, device: string | undefined): Step {
  return {
    change: { kind: 'detach-volume', datasetId, blockDeviceId, ...(device === undefined ? {} : { device }) },
  };
}

function describe(signature: Signature | undefined): string {
  if (signature === undefined || signature.kind === 'none') return 'nothing';
  if (signature.kind === 'filesystem') return `a ${signature.type} filesystem`;
  return `a ${signature.type} signature (${signature.usage})`;
}

/** The datasets this node reports: those whose volume is attached here, and those it should hold. */
function report(
  input: PlanInput,
  discovered: ReadonlyMap<string, Classified>,
  problems: readonly Problem[],
): DatasetReport[] {
  const mine = new Set(
    input.configuration.datasets.filter((d) => d.primary === input.nodeId).map((d) => d.datasetId),
  );
  const reports: DatasetReport[] = [];
  for (const [datasetId, found] of [...discovered].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const volume = found.owner?.volume;
    if (volume?.attachedTo !== input.instanceId && !mine.has(datasetId)) continue;
    const problem = problems.find((p) => p.datasetId === datasetId && p.code !== 'EXTRA_VOLUME');
    reports.push({
      datasetId,
      state: found.state,
      blockDeviceId: volume?.blockDeviceId ?? null,
      devicePath: found.owner?.device?.path ?? null,
      mountPath: found.state === 'MOUNTED' ? mountPathOf(input.mountRoot, datasetId) : null,
      size: volume?.size ?? null,
      ...(problem === undefined ? {} : { error: { code: problem.code, message: problem.message } }),
    });
  }
  return reports;
}
