import { constants } from 'node:fs';
import { open, readFile, readlink, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { deviceSize } from '@flockerjs/linux-block';

/** The file-system calls discovery makes, injected so tests can lay out any device tree. */
export interface DeviceFs {
  readlink(path: string): Promise<string>;
  stat(path: string, options: { bigint: true }): Promise<{ isBlockDevice(): boolean; rdev: bigint }>;
  readFile(path: string, encoding: 'utf8'): Promise<string>;
  open(path: string, flags: number): Promise<{ close(): Promise<void> }>;
}

export const nodeDeviceFs: DeviceFs = { readlink, stat, readFile, open };

/** The link udev makes on Nitro instances for an EBS volume: its id without the dash. */
export const NVME_BY_ID_PREFIX = 'disk/by-id/nvme-Amazon_Elastic_Block_Store_';
const VOLUME_ID = /^vol-[0-9a-f]{8,17}$/;
const EBS_DEVICE = /^\/dev\/(?:sd|xvd)([a-z]{1,2})$/;

export type Discovery = { readonly found: string } | { readonly missing: string };

/**
 * Finds the block device of an attached volume under `root` (the node's `/dev`), so that it cannot be another
 * volume's: first the NVMe by-id link named after the volume id (Nitro), then the requested name and its Xen
 * form (`/dev/sdf` is `xvdf`). A candidate counts only when it is a block device whose size, read from sysfs,
 * is exactly the volume's; a wrong size (a stale node, another volume) is reported, never returned.
 */
export async function discoverDevice(
  fs: DeviceFs,
  options: { root: string; sysfsRoot: string; volumeId: string; requestedDevice: string; sizeBytes: number },
): Promise<Discovery> {
  if (!VOLUME_ID.test(options.volumeId))
    throw new TypeError(`not a volume id: ${JSON.stringify(options.volumeId)}`);
  const link = join(options.root, `${NVME_BY_ID_PREFIX}${options.volumeId.replace('-', '')}`);
  const target = await fs.readlink(link).catch(() => undefined);
  const candidates =
    target !== undefined
      ? [resolve(dirname(link), target)]
      : namedCandidates(options.root, options.requestedDevice);
  const seen: string[] = [];
  for (const candidate of candidates) {
    const size = await deviceSize(candidate, { fs, sysfsRoot: options.sysfsRoot });
    if (size === undefined) continue;
    if (size === options.sizeBytes) return { found: candidate };
    seen.push(`${candidate} has ${size} bytes, not ${options.sizeBytes}`);
  }
  if (seen.length > 0) return { missing: seen.join('; ') };
  return {
    missing: `no block device at ${target === undefined ? candidates.join(' or ') : `${link} -> ${target}`}`,
  };
}

/** Whether no device of the volume is left on this node: no by-id link and no block device at its name. */
export async function deviceGone(
  fs: DeviceFs,
  options: { root: string; volumeId: string; requestedDevice: string },
): Promise<boolean> {
  const link = join(options.root, `${NVME_BY_ID_PREFIX}${options.volumeId.replace('-', '')}`);
  if ((await fs.readlink(link).catch(() => undefined)) !== undefined) return false;
  for (const candidate of namedCandidates(options.root, options.requestedDevice)) {
    const info = await fs.stat(candidate, { bigint: true }).catch(() => undefined);
    if (info?.isBlockDevice()) return false;
  }
  return true;
}

function namedCandidates(root: string, requested: string): string[] {
  const match = EBS_DEVICE.exec(requested);
  if (match === null) return [];
  const name = requested.slice('/dev/'.length);
  const xen = `xvd${match[1]}`;
  return name === xen ? [join(root, name)] : [join(root, name), join(root, xen)];
}

/**
 * Whether a block device is in use on this node: mounted, or held by a device mapper, md or another exclusive
 * opener. An exclusive open (`O_EXCL` on a block device) is refused with `EBUSY` exactly then, and checks in
 * one call what mountinfo and sysfs holders would take two reads to tell.
 */
export async function deviceInUse(fs: DeviceFs, device: string): Promise<boolean> {
  try {
    const handle = await fs.open(device, constants.O_RDONLY | constants.O_EXCL);
    await handle.close();
    return false;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EBUSY') return true;
    throw error;
  }
}
