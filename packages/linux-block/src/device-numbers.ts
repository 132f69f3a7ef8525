import { stat } from 'node:fs/promises';

/** Major and minor numbers of a Linux `dev_t` (a file's `dev`, a device node's `rdev`). */
export function deviceNumbers(dev: number | bigint): { major: bigint; minor: bigint } {
  // Linux's dev_t encoding: the major number is bits 8-19 and 32-43, the minor bits 0-7 and 20-31.
  const value = BigInt(dev);
  return {
    major: ((value >> 8n) & 0xfffn) | ((value >> 32n) & ~0xfffn),
    minor: (value & 0xffn) | ((value >> 12n) & ~0xffn),
  };
}

/** `major:minor` of the block device at `path` (a link to one counts), as mountinfo names a mount's device. */
export async function deviceMajorMinor(path: string): Promise<string> {
  const info = await stat(path, { bigint: true });
  if (!info.isBlockDevice()) throw new TypeError(`${JSON.stringify(path)} is not a block device`);
  const { major, minor } = deviceNumbers(info.rdev);
  return `${major}:${minor}`;
}
