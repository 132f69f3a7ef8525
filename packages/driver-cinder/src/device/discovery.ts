import { realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Clock, type Exec, waitFor } from '@flockerjs/core-interface';
import { deviceSize } from '@flockerjs/linux-block';

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
  readonly exec: Exec;
  readonly clock: Clock;
}

/** What one look found, for the `TIMEOUT` message when the device never shows. */
type Seen =
  | { readonly found: 'nothing' }
  | { readonly found: string; readonly size: number; readonly expected: number };

/**
 * The block device of `volumeId` under `deviceRoot`: a by-id link resolved to its real path, checked to be a
 * block device at least `expectedBytes` long (a smaller one cannot be this volume: answering with it would
 * lose data). Polls until it appears.
 * @throws `TIMEOUT` when no such device appears within `timeoutMs`
 */
export async function findDevice(
  deviceRoot: string,
  volumeId: string,
  expectedBytes: number,
  timeoutMs: number,
  deps: DiscoveryDeps,
): Promise<string> {
  return waitFor({
    what: `the device of volume ${volumeId} under ${deviceRoot}/disk/by-id`,
    timeoutMs,
    intervalMs: 100,
    factor: 1.5,
    maxIntervalMs: 1000,
    clock: deps.clock,
    poll: async () => {
      let seen: Seen = { found: 'nothing' };
      for (const name of byIdNames(volumeId)) {
        const device = await resolveBlockDevice(join(deviceRoot, 'disk', 'by-id', name));
        if (device === undefined) continue;
        const size = (await deviceSize(device)) ?? 0;
        if (size >= expectedBytes) return { done: true, value: device };
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
