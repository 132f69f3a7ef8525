import { z } from 'zod';
import type { Capabilities, IBlockDeviceAPI } from './driver.js';
import { InvalidIdError, InvalidSizeError } from './errors.js';
import { formatIssues, issueMessages } from './issues.js';

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

/** {@link Capabilities} as a schema: the four declarations every driver makes, and the two optional ones. */
const capabilitiesSchema = z.strictObject({
  profiles: z.boolean(),
  cloudApi: z.boolean(),
  startNode: z.boolean(),
  resize: z.boolean(),
  idempotentCreate: z.boolean().optional(),
  destroysAttached: z.boolean().optional(),
}) satisfies z.ZodType<Capabilities>;

/** The member each declaration promises. */
const DECLARED_MEMBERS = {
  profiles: 'createVolumeWithProfile',
  cloudApi: 'listLiveNodes',
  startNode: 'startNode',
  resize: 'resizeVolume',
} as const;

/**
 * Every problem with an API's `capabilities`, one line each: a missing or unknown key (with the known key it is
 * close to), a value that is not a boolean, a declaration without the member it promises. Empty when they are
 * right. The loader refuses an API with problems, and the conformance suite checks the same list.
 */
export function capabilityProblems(api: Pick<IBlockDeviceAPI, 'capabilities'>): string[] {
  const parsed = capabilitiesSchema.safeParse(api.capabilities, { error: issueMessages });
  if (!parsed.success) return formatIssues(parsed.error.issues, ['capabilities'], capabilitiesSchema);
  const members = api as unknown as Record<string, unknown>;
  return Object.entries(DECLARED_MEMBERS).flatMap(([capability, member]) =>
    parsed.data[capability as keyof typeof DECLARED_MEMBERS] && typeof members[member] !== 'function'
      ? [`capabilities.${capability}: declared, but the API has no ${member}()`]
      : [],
  );
}
