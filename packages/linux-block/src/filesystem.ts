import type { Exec } from '@flockerjs/core-interface';
import { checkedPath } from './device-path.js';

/** Makes an ext4 filesystem on the whole device. Callers check first that the device holds nothing. */
export async function makeExt4(exec: Exec, device: string, options: { label?: string } = {}): Promise<void> {
  const label = options.label === undefined ? [] : ['-L', options.label];
  await exec('mkfs.ext4', ['-q', ...label, '--', checkedPath(device)]);
}

/** Grows the ext4 filesystem of an unmounted device to the whole device: a forced check first, as resize2fs asks. */
export async function growExt4(exec: Exec, device: string): Promise<void> {
  try {
    await exec('e2fsck', ['-f', '-p', '--', checkedPath(device)]);
  } catch (error) {
    // Exit 1: errors were corrected, the filesystem is fine now.
    if ((error as { code?: unknown }).code !== 1) throw error;
  }
  await exec('resize2fs', ['--', checkedPath(device)]);
}

/** The size in bytes of the ext4 filesystem on `device` (block count times block size), from its superblock. */
export async function ext4Size(exec: Exec, device: string): Promise<number> {
  return parseDumpe2fsSize((await exec('dumpe2fs', ['-h', '--', checkedPath(device)])).stdout);
}

/** Block count times block size from `dumpe2fs -h` output. */
export function parseDumpe2fsSize(output: string): number {
  const count = /^Block count:\s+(\d+)$/m.exec(output)?.[1];
  const size = /^Block size:\s+(\d+)$/m.exec(output)?.[1];
  if (count === undefined || size === undefined)
    throw new Error(`unexpected dumpe2fs output ${JSON.stringify(output.slice(0, 200))}`);
  return Number(count) * Number(size);
}
