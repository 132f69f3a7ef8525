// The stand-in storage system presents volumes to this host as loop devices. TODO(driver-author): a real
// backend presents its disks itself (iSCSI, NVMe, virtio); delete this file unless you need losetup.
import type { Exec } from '@flockerjs/core-interface';

/** One loop device and the file behind it. */
export interface LoopDevice {
  /** `/dev/loopN`. */
  readonly device: string;
  /** The backing file's path as the kernel reports it. */
  readonly backingFile: string;
}

const LOOP_DEVICE = /^\/dev\/loop\d+$/;

/** argv of `losetup` listing every loop device as JSON. */
export const LIST_ARGS = ['--list', '--json', '--output', 'NAME,BACK-FILE'] as const;

/** Parses `losetup --list --json --output NAME,BACK-FILE` (empty output: no devices). */
export function parseLoopDevices(output: string): LoopDevice[] {
  if (output.trim() === '') return [];
  const parsed = JSON.parse(output) as { loopdevices?: Record<string, unknown>[] };
  return (parsed.loopdevices ?? []).flatMap((entry) => {
    const device = entry.name;
    const backingFile = entry['back-file'];
    if (typeof device !== 'string' || !LOOP_DEVICE.test(device) || typeof backingFile !== 'string') return [];
    return [{ device, backingFile: backingFile.replace(/ \(deleted\)$/, '') }];
  });
}

export async function listLoopDevices(exec: Exec): Promise<LoopDevice[]> {
  return parseLoopDevices((await exec('losetup', LIST_ARGS)).stdout);
}

/** Attaches `file` to a free loop device, or returns the one already serving it (`--nooverlap`). */
export async function attachLoopDevice(exec: Exec, file: string): Promise<string> {
  const { stdout } = await exec('losetup', ['--find', '--show', '--nooverlap', '--', file]);
  const device = stdout.trim();
  if (!LOOP_DEVICE.test(device))
    throw new Error(`losetup printed ${JSON.stringify(stdout)}, not a loop device`);
  return device;
}

export async function detachLoopDevice(exec: Exec, device: string): Promise<void> {
  if (!LOOP_DEVICE.test(device)) throw new TypeError(`not a loop device: ${JSON.stringify(device)}`);
  await exec('losetup', ['--detach', device]);
}
