import type { z } from 'zod';

interface Credentials {
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  readonly project_name?: string | undefined;
  readonly project_id?: string | undefined;
  readonly application_credential_id?: string | undefined;
  readonly application_credential_secret?: string | undefined;
}

/** Exactly one way to authenticate, complete: user name, password and project, or an application credential. */
export function checkCredentials(config: Credentials, context: z.core.$RefinementCtx<Credentials>): void {
  const password = config.username !== undefined || config.password !== undefined;
  const appCredential =
    config.application_credential_id !== undefined || config.application_credential_secret !== undefined;
  if (password && appCredential) {
    context.addIssue({
      code: 'custom',
      path: ['application_credential_id'],
      message: 'give either username and password or an application credential, not both',
    });
    return;
  }
  if (appCredential) {
    for (const key of ['application_credential_id', 'application_credential_secret'] as const) {
      if (config[key] === undefined) context.addIssue({ code: 'custom', path: [key], message: 'required' });
    }
    return;
  }
  for (const key of ['username', 'password'] as const) {
    if (config[key] === undefined) {
      context.addIssue({
        code: 'custom',
        path: [key],
        message: 'required (or give application_credential_id and application_credential_secret)',
      });
    }
  }
  if (config.project_name === undefined && config.project_id === undefined) {
    context.addIssue({ code: 'custom', path: ['project_name'], message: 'required (or give project_id)' });
  }
}
