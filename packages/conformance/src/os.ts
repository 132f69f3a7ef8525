import { execFile } from 'node:child_process';
import { open, stat } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Device paths the suite hands to commands: absolute, under /dev or a test's device root, no shell syntax. */
const DEVICE_PATH = /^\/[A-Za-z0-9._:\-/]+$/;

function checkedPath(path: string): string {
  if (!DEVICE_PATH.test(path) || path.split('/').includes('..')) {
    throw new TypeError(`refusing to run a command on suspicious device path ${JSON.stringify(path)}`);
  }
  return path;
}

/** Parses `lsblk --noheadings --bytes --nodeps --output SIZE` output: the size in bytes on the first line. */
export function parseLsblkSize(output: string): number {
  const first = output.trim().split('\n')[0]?.trim() ?? '';
  if (!/^\d+$/.test(first)) throw new Error(`unexpected lsblk output ${JSON.stringify(output)}`);
  return Number(first);
}

/** The size of a block device as the kernel reports it, in bytes. */
export async function deviceSize(path: string): Promise<number> {
  const { stdout } = await run('lsblk', [
    '--noheadings',
    '--bytes',
    '--nodeps',
    '--output',
    'SIZE',
    '--',
    checkedPath(path),
  ]);
  return parseLsblkSize(stdout);
}

export async function isBlockDevice(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isBlockDevice();
  } catch {
    return false;
  }
}

/** Writes `data` at `offset` of the device and flushes it to the backing store. */
export async function writeDevice(path: string, offset: number, data: Uint8Array): Promise<void> {
  const handle = await open(checkedPath(path), 'r+');
  try {
    await handle.write(data, 0, data.length, offset);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/** Reads `length` bytes at `offset` of the device; fewer when the device is shorter or gone. */
export async function readDevice(path: string, offset: number, length: number): Promise<Buffer> {
  const handle = await open(checkedPath(path), 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, offset);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * Whether the device at `path` no longer serves the volume whose bytes at `offset` were `marker`: the path is
 * gone, is no block device, is empty, or reads something else (another volume may take the same node name).
 */
export async function deviceNoLongerServes(
  path: string,
  offset: number,
  marker: Uint8Array,
): Promise<boolean> {
  if (!(await isBlockDevice(path))) return true;
  try {
    const read = await readDevice(path, offset, marker.length);
    return !read.equals(marker);
  } catch {
    return true;
  }
}

/** Makes an ext4 filesystem on the whole device, without asking (the device is a fresh test volume). */
export async function makeFilesystem(device: string): Promise<void> {
  await run('mkfs.ext4', ['-q', '-F', '--', checkedPath(device)]);
}

export async function mount(device: string, mountpoint: string): Promise<void> {
  await run('mount', ['--', checkedPath(device), checkedPath(mountpoint)]);
}

/** Unmounts; with `lazy`, detaches a busy mount so that cleanup never leaves one behind. */
export async function unmount(mountpoint: string, { lazy = false } = {}): Promise<void> {
  await run('umount', [...(lazy ? ['--lazy'] : []), '--', checkedPath(mountpoint)]);
}
