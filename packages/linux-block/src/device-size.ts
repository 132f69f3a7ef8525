import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { deviceNumbers } from './device-numbers.js';

/** The kernel counts a block device's size in 512-byte sectors, whatever its logical block size. */
const SECTOR_BYTES = 512n;

/** The file-system calls {@link deviceSize} makes, injected so that tests can lay out any device tree. */
export interface DeviceSizeFs {
  stat(path: string, options: { bigint: true }): Promise<{ isBlockDevice(): boolean; rdev: bigint }>;
  readFile(path: string, encoding: 'utf8'): Promise<string>;
}

export interface DeviceSizeOptions {
  /** @default the real file system */
  readonly fs?: DeviceSizeFs;
  /** Where sysfs is mounted. @default '/sys' */
  readonly sysfsRoot?: string;
}

const nodeFs: DeviceSizeFs = { stat, readFile };

/**
 * The size in bytes of the block device at `path` (a link to one counts), as the kernel reports it in
 * `/sys/dev/block/MAJ:MIN/size`: by device number, so a device node anywhere (a test's device root, a by-id
 * link) is measured as the kernel sees it.
 * @returns `undefined` when `path` is no block device or the kernel reports no size for it.
 */
export async function deviceSize(path: string, options: DeviceSizeOptions = {}): Promise<number | undefined> {
  const fs = options.fs ?? nodeFs;
  const info = await fs.stat(path, { bigint: true }).catch(() => undefined);
  if (info === undefined || !info.isBlockDevice()) return undefined;
  const { major, minor } = deviceNumbers(info.rdev);
  const sectors = await fs
    .readFile(join(options.sysfsRoot ?? '/sys', 'dev', 'block', `${major}:${minor}`, 'size'), 'utf8')
    .catch(() => undefined);
  if (sectors === undefined || !/^\d+\s*$/.test(sectors)) return undefined;
  return Number(BigInt(sectors.trim()) * SECTOR_BYTES);
}
