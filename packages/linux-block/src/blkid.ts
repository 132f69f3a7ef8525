import type { Exec } from '@flockerjs/core-interface';
import { checkedPath, isBlockDevice } from './device-path.js';

/** What `blkid -p` found on a device: nothing, a filesystem, or some other signature (partition table, RAID, swap...). */
export type Signature =
  | { readonly kind: 'none' }
  | { readonly kind: 'filesystem'; readonly type: string }
  | { readonly kind: 'other'; readonly type: string; readonly usage: string };

/** `blkid`'s exit status when it found nothing on the device; any other failure is an error. */
export const BLKID_NOTHING_FOUND = 2;

/** argv of a low-level probe of every signature (filesystems, partition tables, raid, crypto, swap), as `KEY=value` lines. */
export function blkidArgs(device: string): string[] {
  return ['--probe', '--output', 'export', '--', checkedPath(device)];
}

/** Parses `blkid --probe --output export` output (exit 0). A partition table counts as `other`. */
export function parseBlkid(output: string): Signature {
  const fields = new Map(
    output
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const),
  );
  const type = fields.get('TYPE');
  const usage = fields.get('USAGE');
  if (type !== undefined && usage === 'filesystem') return { kind: 'filesystem', type };
  if (type !== undefined) return { kind: 'other', type, usage: usage ?? 'unknown' };
  const table = fields.get('PTTYPE');
  if (table !== undefined) return { kind: 'other', type: table, usage: 'partition table' };
  // blkid said it found something (exit 0) but named nothing we know: treat it as data, never as empty.
  return { kind: 'other', type: 'unknown', usage: output.trim() === '' ? 'unknown' : output.trim() };
}

/**
 * Every signature on `device` by a low-level probe. "Nothing" only when blkid exits with
 * {@link BLKID_NOTHING_FOUND}; any other failure rejects, so a probe that did not work never reads as an empty
 * device. blkid also exits 2 for a path that does not exist, so the path must be a block device first.
 * @throws TypeError when `device` is no block device; blkid's error for any other failure.
 */
export async function probeSignature(exec: Exec, device: string): Promise<Signature> {
  if (!(await isBlockDevice(checkedPath(device))))
    throw new TypeError(`${JSON.stringify(device)} is not a block device`);
  try {
    return parseBlkid((await exec('blkid', blkidArgs(device))).stdout);
  } catch (error) {
    if ((error as { code?: unknown }).code === BLKID_NOTHING_FOUND) return { kind: 'none' };
    throw error;
  }
}
