import { join } from 'node:path';

/** Volume ids are derived from the dataset: one volume per dataset, and no id store to keep. */
const BLOCK_DEVICE_ID = /^block-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
/** Backing file names: `<blockDeviceId>_<size in bytes>`, as the original. */
const VOLUME_FILE = /^(block-[0-9a-f-]{36})_([1-9]\d*)$/;

export const UNATTACHED_DIR = 'unattached';
export const ATTACHED_DIR = 'attached';
export const PROFILES_DIR = 'profiles';
export const NODE_ID_FILE = 'node-id';

export function blockDeviceIdFor(datasetId: string): string {
  return `block-${datasetId}`;
}

/** The dataset id inside a well-formed block device id, or `undefined` for anything else. */
export function datasetIdOf(blockDeviceId: string): string | undefined {
  return BLOCK_DEVICE_ID.exec(blockDeviceId)?.[1];
}

/** Prefix of the files a create sizes before linking them into place (no volume name starts with a dot). */
export const STAGING_PREFIX = '.creating-';

/** Whether `name` is a staging file of a create of `blockDeviceId` (of any size, by any node). */
export function isStagingFileOf(name: string, blockDeviceId: string): boolean {
  return name.startsWith(`${STAGING_PREFIX}${blockDeviceId}_`);
}

export function volumeFileName(blockDeviceId: string, size: number): string {
  return `${blockDeviceId}_${size}`;
}

/** Parses a backing file name; files that are not volumes (editor droppings, temp files) give `undefined`. */
export function parseVolumeFileName(name: string): { blockDeviceId: string; size: number } | undefined {
  const match = VOLUME_FILE.exec(name);
  if (match?.[1] === undefined || datasetIdOf(match[1]) === undefined) return undefined;
  const size = Number(match[2]);
  return Number.isSafeInteger(size) ? { blockDeviceId: match[1], size } : undefined;
}

/** Where a volume's file is: `unattached/` or `attached/<node>/`. */
export function volumeDir(root: string, attachedTo: string | null): string {
  return attachedTo === null ? join(root, UNATTACHED_DIR) : join(root, ATTACHED_DIR, attachedTo);
}
