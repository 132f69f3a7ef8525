import { type Exec, type IBlockDeviceAPI, isCloudApi, type Logger } from '@flockerjs/core-interface';
import {
  deviceMajorMinor,
  deviceSize,
  ext4Size,
  isBlockDevice,
  type MountInfoEntry,
  probeSignature,
} from '@flockerjs/linux-block';
import type { DiscoveredVolume, LocalDevice } from './planner.js';

/** The I/O discovery does, injected so tests can swap any of it. */
export interface DiscoveryDeps {
  readonly api: IBlockDeviceAPI;
  readonly exec: Exec;
  readonly readMounts: () => Promise<MountInfoEntry[]>;
  readonly logger: Logger;
}

export interface Discovered {
  readonly volumes: readonly DiscoveredVolume[];
  readonly liveNodes: ReadonlySet<string> | null;
}

/**
 * The facts a plan is made from: the cluster's volumes from the driver; for those attached here, the device
 * (checked to be a block device: a bad driver answer is logged and ignored), its signature (`blkid -p`: a
 * probe that fails aborts discovery rather than read as "empty"), its mounts from mountinfo by device number,
 * its size, and its ext4 size when `measureFilesystems`; the live nodes where the backend declares the cloud API.
 */
export async function discover(
  deps: DiscoveryDeps,
  instanceId: string,
  options: { measureFilesystems: boolean },
): Promise<Discovered> {
  const listed = await deps.api.listVolumes();
  const mounts = await deps.readMounts();
  const volumes: DiscoveredVolume[] = [];
  for (const volume of listed) {
    if (volume.attachedTo !== instanceId) {
      volumes.push({ volume });
      continue;
    }
    let path: string;
    try {
      path = await deps.api.getDevicePath(volume.blockDeviceId);
    } catch (error) {
      volumes.push({ volume, deviceError: `getDevicePath failed: ${(error as Error).message}` });
      continue;
    }
    if (!(await isBlockDevice(path))) {
      deps.logger.message(
        'dataset-agent:bad-device-path',
        { blockDeviceId: volume.blockDeviceId, path },
        'warn',
      );
      volumes.push({ volume, deviceError: `the driver's device path ${path} is not a block device` });
      continue;
    }
    volumes.push({ volume, device: await localDevice(deps, path, mounts, options.measureFilesystems) });
  }
  const liveNodes = isCloudApi(deps.api) ? new Set(await deps.api.listLiveNodes()) : null;
  return { volumes, liveNodes };
}

async function localDevice(
  deps: DiscoveryDeps,
  path: string,
  mounts: readonly MountInfoEntry[],
  measureFilesystems: boolean,
): Promise<LocalDevice> {
  const signature = await probeSignature(deps.exec, path);
  const majorMinor = await deviceMajorMinor(path);
  const size = (await deviceSize(path)) ?? 0;
  const filesystemSize =
    measureFilesystems && signature.kind === 'filesystem' && signature.type === 'ext4'
      ? await ext4Size(deps.exec, path).catch(() => undefined)
      : undefined;
  return {
    path,
    signature,
    mountPoints: mounts.filter((mount) => mount.majorMinor === majorMinor).map((mount) => mount.mountPoint),
    size,
    ...(filesystemSize === undefined ? {} : { filesystemSize }),
  };
}
