import type { Exec } from '@flockerjs/core-interface';

/** Device paths handed to commands: absolute, no shell syntax, no `..`. */
const DEVICE_PATH = /^\/[A-Za-z0-9._:\-/]+$/;

/** Refuses a path that is not a plain absolute device path. */
export function checkedDevicePath(path: string): string {
  if (!DEVICE_PATH.test(path) || path.split('/').includes('..')) {
    throw new TypeError(`refusing to run a command on suspicious device path ${JSON.stringify(path)}`);
  }
  return path;
}

/** argv of `lsblk` printing one device's size in bytes. */
export function lsblkSizeArgs(device: string): string[] {
  return ['--noheadings', '--bytes', '--nodeps', '--output', 'SIZE', '--', checkedDevicePath(device)];
}

/** The size in bytes on the first line of `lsblk --bytes --output SIZE`. */
export function parseLsblkSize(output: string): number {
  const first = output.trim().split('\n')[0]?.trim() ?? '';
  if (!/^\d+$/.test(first)) throw new Error(`unexpected lsblk output ${JSON.stringify(output)}`);
  return Number(first);
}

/** The size of a block device as the kernel reports it. */
export async function deviceSize(exec: Exec, device: string): Promise<number> {
  const { stdout } = await exec('lsblk', lsblkSizeArgs(device));
  return parseLsblkSize(stdout);
}
