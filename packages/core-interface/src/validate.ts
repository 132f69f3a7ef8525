import { InvalidIdError, InvalidSizeError } from './errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** True for a UUID in canonical lowercase form, the only form dataset ids take. */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/**
 * Returns `datasetId` when it is a canonical UUID.
 * @throws `INVALID_ID` naming the value otherwise.
 */
export function assertDatasetId(datasetId: unknown): string {
  if (!isUuid(datasetId)) throw new InvalidIdError('dataset id', datasetId, 'a lowercase UUID');
  return datasetId;
}

/**
 * Checks that `size` is a whole, positive, exactly representable number of bytes.
 * @throws `INVALID_SIZE` otherwise.
 */
export function assertVolumeSize(size: unknown): number {
  if (typeof size !== 'number' || !Number.isSafeInteger(size)) {
    throw new InvalidSizeError(size, 'expected a whole number of bytes');
  }
  if (size <= 0) throw new InvalidSizeError(size, 'expected more than 0 bytes');
  return size;
}

/**
 * `requested` rounded up to the next multiple of `unit`; an exact multiple is returned unchanged.
 * @throws `INVALID_SIZE` when either is not a positive whole number of bytes.
 */
export function allocatedSize(unit: number, requested: number): number {
  assertVolumeSize(unit);
  assertVolumeSize(requested);
  const remainder = requested % unit;
  return assertVolumeSize(remainder === 0 ? requested : requested - remainder + unit);
}

/**
 * Checks that `size` is a positive multiple of `unit`, as {@link IBlockDeviceAPI.createVolume} requires.
 * @throws `INVALID_SIZE` naming the size and the unit otherwise.
 */
export function checkAllocatableSize(unit: number, size: number): number {
  assertVolumeSize(unit);
  assertVolumeSize(size);
  if (size % unit !== 0) {
    throw new InvalidSizeError(size, `not a multiple of the allocation unit ${unit} bytes`);
  }
  return size;
}
