import { z } from 'zod';
import type { Capabilities, IBlockDeviceAPI } from './driver.js';
import { formatIssues, issueMessages } from './issues.js';

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
