import type { Exec } from '@flockerjs/core-interface';

/** One loop device and the file behind it. */
export interface LoopDevice {
  /** `/dev/loopN`. */
  readonly device: string;
  /** The backing file's path as the kernel reports it now (renames are followed). */
  readonly backingFile: string;
  /** Backing file identity, `major:minor` of its filesystem and inode, to match files without trusting paths. */
  readonly backingId: string;
}

const LOOP_DEVICE = /^\/dev\/loop\d+$/;

/** argv of `losetup` listing every loop device as JSON, with what identifies its backing file. */
export const LIST_ARGS = ['--list', '--json', '--output', 'NAME,BACK-FILE,BACK-INO,BACK-MAJ:MIN'] as const;

/** Parses `losetup --list --json --output NAME,BACK-FILE,BACK-INO,BACK-MAJ:MIN` (empty output: no devices). */
export function parseLoopDevices(output: string): LoopDevice[] {
  if (output.trim() === '') return [];
  const parsed = JSON.parse(output) as { loopdevices?: Record<string, unknown>[] };
  return (parsed.loopdevices ?? []).flatMap((entry) => {
    const device = entry.name;
    const backingFile = entry['back-file'];
    const inode = entry['back-ino'];
    const majMin = String(entry['back-maj:min'] ?? '').trim();
    if (typeof device !== 'string' || !LOOP_DEVICE.test(device) || typeof backingFile !== 'string') return [];
    return [
      {
        device,
        backingFile: backingFile.replace(/ \(deleted\)$/, ''),
        backingId: `${majMin}/${String(inode)}`,
      },
    ];
  });
}

/** The identity {@link LoopDevice.backingId} of a file from its `stat`. */
export function fileId(stat: { readonly dev: number; readonly ino: number }): string {
  // Linux's dev_t encoding: the major number is bits 8-19 and 32-43, the minor bits 0-7 and 20-31.
  const dev = BigInt(stat.dev);
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return `${major}:${minor}/${stat.ino}`;
}

export async function listLoopDevices(exec: Exec): Promise<LoopDevice[]> {
  return parseLoopDevices((await exec('losetup', LIST_ARGS)).stdout);
}

/**
 * Attaches `file` to a free loop device, or returns the one already serving it (`--nooverlap`), so a repeated
 * call never makes a second device for the same file.
 */
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
