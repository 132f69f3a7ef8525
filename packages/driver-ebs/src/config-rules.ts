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
