import { assertDatasetId, assertVolumeSize } from './validate.js';

/**
 * One volume as a backend reports it: an immutable value compared field by field, so `toEqual` (and
 * {@link sameVolume}) compare volumes whole.
 */
export interface BlockDeviceVolume {
  /** The backend's id of the volume, unique in the whole backend. */
  readonly blockDeviceId: string;
  /** Size in bytes, exactly as requested at creation. */
  readonly size: number;
  /** The node id ({@link IBlockDeviceAPI.computeInstanceId}) it is attached to, or `null`. */
  readonly attachedTo: string | null;
  /** The dataset it holds, a lowercase UUID. */
  readonly datasetId: string;
}

/** Makes a frozen, validated volume value. */
export function blockDeviceVolume(fields: BlockDeviceVolume): BlockDeviceVolume {
  if (typeof fields.blockDeviceId !== 'string' || fields.blockDeviceId === '') {
    throw new TypeError(
      `blockDeviceId must be a non-empty string, got ${JSON.stringify(fields.blockDeviceId)}`,
    );
  }
  assertVolumeSize(fields.size);
  if (fields.attachedTo !== null && (typeof fields.attachedTo !== 'string' || fields.attachedTo === '')) {
    throw new TypeError(`attachedTo must be null or a node id, got ${JSON.stringify(fields.attachedTo)}`);
  }
  return Object.freeze({
    blockDeviceId: fields.blockDeviceId,
    size: fields.size,
    attachedTo: fields.attachedTo,
    datasetId: assertDatasetId(fields.datasetId),
  });
}

/** A copy of `volume` attached to `attachedTo` (or detached, with `null`). */
export function withAttachedTo(volume: BlockDeviceVolume, attachedTo: string | null): BlockDeviceVolume {
  return Object.freeze({ ...volume, attachedTo });
}

/** Structural equality over all four fields. */
export function sameVolume(a: BlockDeviceVolume, b: BlockDeviceVolume): boolean {
  return (
    a.blockDeviceId === b.blockDeviceId &&
    a.size === b.size &&
    a.attachedTo === b.attachedTo &&
    a.datasetId === b.datasetId
  );
}

/** Total order by (blockDeviceId, datasetId, size, attachedTo), as the original sorted volumes. */
export function compareVolumes(a: BlockDeviceVolume, b: BlockDeviceVolume): number {
  return (
    cmp(a.blockDeviceId, b.blockDeviceId) ||
    cmp(a.datasetId, b.datasetId) ||
    a.size - b.size ||
    cmp(a.attachedTo ?? '', b.attachedTo ?? '')
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
