import type { Exec } from '@flockerjs/core-interface';
import { checkedDevicePath } from './lsblk.js';

/** argv of a read-only mount of `device` at `dir`, filesystem type detected (iso9660, vfat, ...). */
export function mountReadOnlyArgs(device: string, dir: string): string[] {
  return ['-o', 'ro', '--', checkedDevicePath(device), checkedDevicePath(dir)];
}

export async function mountReadOnly(exec: Exec, device: string, dir: string): Promise<void> {
  await exec('mount', mountReadOnlyArgs(device, dir));
}

export async function unmount(exec: Exec, dir: string): Promise<void> {
  await exec('umount', ['--', checkedDevicePath(dir)]);
}
