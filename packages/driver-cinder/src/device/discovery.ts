import { realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Clock, waitFor } from '@flockerjs/core-interface';
import { type DeviceSizeFs, deviceSize } from '@flockerjs/linux-block';

/** Serial numbers are cut to 20 characters on virtio-blk, so udev's link carries only that much of the id. */
export const VIRTIO_SERIAL_LENGTH = 20;

/**
 * The `disk/by-id` names a Cinder volume can have in a guest, most common first, as cinder-csi looks for them:
 * virtio-blk (KVM), virtio-scsi with QEMU's SCSI serial, and the WWN form of VMware.
 */
export function byIdNames(volumeId: string): string[] {
  const short = volumeId.slice(0, VIRTIO_SERIAL_LENGTH);
  return [
    `virtio-${short}`,
    `virtio-${volumeId}`,
    `scsi-0QEMU_QEMU_HARDDISK_${short}`,
    `scsi-0QEMU_QEMU_HARDDISK_${volumeId}`,
    `wwn-0x${volumeId.replaceAll('-', '')}`,
  ];
}

export interface DiscoveryDeps {
  readonly clock: Clock;
  /** How device sizes are read (sysfs); tests replace it to make the kernel report another size. */
  readonly deviceFs?: DeviceSizeFs;
}

/** What one look found, for the `TIMEOUT` message when the device never shows. */
type Seen =
  | { readonly found: 'nothing' }
  | { readonly found: string; readonly size: number; readonly expected: number };

/**
 * Where the device Nova reported for the attachment is, when the guest uses Nova's name: a Xen guest's `xvdX`
 * (blkfront sets no serial, so there is no by-id link), as the original backend trusted it. A virtio name
 * (`vdX`) is never used: libvirt's names drift from the guest's when disks come and go outside Cinder.
 */
export function reportedXenDevice(deviceRoot: string, reported: string | undefined): string | undefined {
  const match = /^\/dev\/(xvd[a-z]{1,2})$/.exec(reported ?? '');
  return match?.[1] === undefined ? undefined : join(deviceRoot, match[1]);
}

/**
 * The block device of `volumeId` under `deviceRoot`: a by-id link resolved to its real path, else the Xen
 * device Nova reported (`reported`), checked to be a block device of exactly `expectedBytes` (any other
 * size cannot be this volume: answering with it would lose data). Polls until it appears.
 * @throws `TIMEOUT` when no such device appears within `timeoutMs`
 */
export async function findDevice(
  deviceRoot: string,
  volumeId: string,
  expectedBytes: number,
  timeoutMs: number,
  deps: DiscoveryDeps,
  reported?: string,
): Promise<string> {
  const candidates = byIdNames(volumeId).map((name) => join(deviceRoot, 'disk', 'by-id', name));
  const xen = reportedXenDevice(deviceRoot, reported);
  if (xen !== undefined) candidates.push(xen);
  return waitFor({
    what: `the device of volume ${volumeId} under ${deviceRoot}`,
    timeoutMs,
    intervalMs: 100,
    factor: 1.5,
    maxIntervalMs: 1000,
    clock: deps.clock,
    poll: async () => {
      let seen: Seen = { found: 'nothing' };
      for (const candidate of candidates) {
        const device = await resolveBlockDevice(candidate);
        if (device === undefined) continue;
        const size =
          (await deviceSize(device, deps.deviceFs === undefined ? {} : { fs: deps.deviceFs })) ?? 0;
        if (size === expectedBytes) return { done: true, value: device };
        seen = { found: device, size, expected: expectedBytes };
      }
      return { done: false, state: seen };
    },
  });
}

/** The real path behind `link` when it leads to a block device. */
async function resolveBlockDevice(link: string): Promise<string | undefined> {
  try {
    const device = await realpath(link);
    return (await stat(device)).isBlockDevice() ? device : undefined;
  } catch {
    return undefined;
  }
}
