import type { z } from 'zod';

interface Credentials {
  readonly access_key_id?: string | undefined;
  readonly secret_access_key?: string | undefined;
  readonly session_token?: string | undefined;
}

/** Static credentials come as a pair (and a session token only with them); neither means the default chain. */
export function credentialsTogether(config: Credentials, context: z.RefinementCtx): void {
  const hasId = config.access_key_id !== undefined;
  const hasSecret = config.secret_access_key !== undefined;
  if (hasId && !hasSecret) {
    context.addIssue({ code: 'custom', path: ['secret_access_key'], message: 'required with access_key_id' });
  }
  if (hasSecret && !hasId) {
    context.addIssue({ code: 'custom', path: ['access_key_id'], message: 'required with secret_access_key' });
  }
  if (config.session_token !== undefined && !(hasId && hasSecret)) {
    context.addIssue({
      code: 'custom',
      path: ['session_token'],
      message: 'needs access_key_id and secret_access_key',
    });
  }
}

interface Profiles {
  readonly profiles: Readonly<
    Record<string, { readonly volume_type: string; readonly iops_per_gib?: number | undefined }>
  >;
}

/** Volume types EC2 creates only with an `Iops` value. */
export const PROVISIONED_IOPS_TYPES: readonly string[] = ['io1', 'io2'];

/** io1 and io2 cannot be created without IOPS: such a profile is refused here, once, naming its key. */
export function provisionedIopsSet(config: Profiles, context: z.RefinementCtx): void {
  for (const [name, profile] of Object.entries(config.profiles)) {
    if (PROVISIONED_IOPS_TYPES.includes(profile.volume_type) && profile.iops_per_gib === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['profiles', name, 'iops_per_gib'],
        message: `required with volume_type ${profile.volume_type}, which EC2 creates only with provisioned IOPS`,
      });
    }
  }
}
