import { chmod, mkdir, rmdir } from 'node:fs/promises';
import {
  DatasetExistsError,
  type Exec,
  type IBlockDeviceAPI,
  isProfiled,
  isResizable,
  type Logger,
} from '@flockerjs/core-interface';
import {
  deviceMajorMinor,
  growExt4,
  isBlockDevice,
  type MountInfoEntry,
  makeExt4,
  mount,
  probeSignature,
  unmount,
} from '@flockerjs/linux-block';
import type { ClusterLink } from './cluster-link.js';
import { AgentError } from './errors.js';
import type { StateChange } from './planner.js';

/** What the executors act with. */
export interface ExecutorDeps {
  readonly api: IBlockDeviceAPI;
  readonly exec: Exec;
  readonly link: ClusterLink;
  readonly readMounts: () => Promise<MountInfoEntry[]>;
  readonly logger: Logger;
  readonly instanceId: string;
  readonly mountRoot: string;
}

/**
 * Runs one state change on this node. Each executor re-checks, just before acting, the fact its safety rests
 * on (a device to format holds nothing, a device to detach is mounted nowhere, a mount point is free), since
 * the world may have moved since discovery.
 */
export async function execute(change: StateChange, deps: ExecutorDeps): Promise<void> {
  switch (change.kind) {
    case 'create-volume':
      return createVolume(change, deps);
    case 'register-volume': {
      const owner = await deps.link.registerVolume?.(change.datasetId, change.blockDeviceId);
      if (owner !== undefined && owner !== change.blockDeviceId) {
        throw new AgentError(
          'STALE_CHANGE',
          `dataset ${change.datasetId} is registered to volume ${owner}, not ${change.blockDeviceId}`,
        );
      }
      return;
    }
    case 'attach-volume':
      await deps.api.attachVolume(change.blockDeviceId, deps.instanceId);
      return;
    case 'resize-volume':
      if (!isResizable(deps.api)) throw new TypeError('resize-volume planned for a backend without resize');
      await deps.api.resizeVolume(change.blockDeviceId, change.size);
      return;
    case 'create-filesystem': {
      const signature = await probeSignature(deps.exec, change.device);
      if (signature.kind !== 'none') {
        throw new AgentError(
          'DEVICE_HOLDS_DATA',
          `refusing to format ${change.device} of dataset ${change.datasetId}: it holds a ${signature.type} signature`,
        );
      }
      await makeExt4(deps.exec, change.device);
      return;
    }
    case 'grow-filesystem':
      await assertUnmounted(change.device, deps);
      await growExt4(deps.exec, change.device);
      return;
    case 'mount':
      return mountDataset(change, deps);
    case 'unmount': {
      const majorMinor = await deviceMajorMinor(change.device);
      const here = (await deps.readMounts()).find((m) => m.mountPoint === change.mountPath);
      if (here?.majorMinor !== majorMinor) {
        throw new AgentError('STALE_CHANGE', `${change.mountPath} is no longer a mount of ${change.device}`);
      }
      // Not lazy: a busy filesystem fails here and stays mounted; the next round tries again.
      await unmount(deps.exec, change.mountPath);
      // The empty mount point goes too; a non-empty one (someone wrote under it) stays.
      await rmdir(change.mountPath).catch(() => {});
      return;
    }
    case 'detach-volume':
      if (change.device !== undefined && (await isBlockDevice(change.device)))
        await assertUnmounted(change.device, deps);
      await deps.api.detachVolume(change.blockDeviceId);
      return;
    case 'destroy-volume':
      await deps.api.destroyVolume(change.blockDeviceId);
      return;
  }
}

async function createVolume(
  change: Extract<StateChange, { kind: 'create-volume' }>,
  deps: ExecutorDeps,
): Promise<void> {
  // A volume listed since discovery (another agent, a lagging listing) must not get a twin.
  const existing = (await deps.api.listVolumes()).find((volume) => volume.datasetId === change.datasetId);
  if (existing !== undefined) throw new DatasetExistsError(change.datasetId, existing.blockDeviceId);
  let created: { blockDeviceId: string };
  if (change.profile !== undefined && isProfiled(deps.api)) {
    created = await deps.api.createVolumeWithProfile(change.datasetId, change.size, change.profile);
  } else {
    if (change.profile !== undefined)
      deps.logger.message(
        'dataset-agent:profile-dropped',
        { datasetId: change.datasetId, profile: change.profile },
        'warn',
      );
    created = await deps.api.createVolume(change.datasetId, change.size);
  }
  // Registered at once, unlike the original, so a listing that lags cannot make the next round create another.
  if (deps.link.registerVolume !== undefined)
    await deps.link.registerVolume(change.datasetId, created.blockDeviceId);
}

async function mountDataset(
  change: Extract<StateChange, { kind: 'mount' }>,
  deps: ExecutorDeps,
): Promise<void> {
  await mkdir(deps.mountRoot, { recursive: true, mode: 0o700 });
  // Only root may enter the mount root; datasets are reached through their own mount point (FLOC-2074's 0777 is gone).
  await chmod(deps.mountRoot, 0o700);
  await mkdir(change.mountPath, { recursive: true, mode: 0o755 });
  const mounts = await deps.readMounts();
  const taken = mounts.find((m) => m.mountPoint === change.mountPath);
  if (taken !== undefined) {
    throw new AgentError(
      'MOUNT_POINT_TAKEN',
      `${change.mountPath} already has ${taken.source} mounted on it`,
    );
  }
  await assertUnmounted(change.device, deps, mounts);
  await mount(deps.exec, change.device, change.mountPath);
}

async function assertUnmounted(
  device: string,
  deps: ExecutorDeps,
  known?: readonly MountInfoEntry[],
): Promise<void> {
  const majorMinor = await deviceMajorMinor(device);
  const points = (known ?? (await deps.readMounts()))
    .filter((m) => m.majorMinor === majorMinor)
    .map((m) => m.mountPoint);
  if (points.length > 0)
    throw new AgentError('DEVICE_MOUNTED', `${device} is mounted at ${points.join(', ')}`);
}
