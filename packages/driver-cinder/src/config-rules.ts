import type { z } from 'zod';

interface Credentials {
  readonly username?: string | undefined;
  readonly user_id?: string | undefined;
  readonly password?: string | undefined;
  readonly project_name?: string | undefined;
  readonly project_id?: string | undefined;
  readonly tenant_name?: string | undefined;
  readonly tenant_id?: string | undefined;
  readonly application_credential_id?: string | undefined;
  readonly application_credential_secret?: string | undefined;
}

/** Exactly one way to authenticate, complete: user name, password and project, or an application credential. */
export function checkCredentials(config: Credentials, context: z.core.$RefinementCtx<Credentials>): void {
  const password =
    config.username !== undefined || config.user_id !== undefined || config.password !== undefined;
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
  const missing = (key: string, message: string) =>
    context.addIssue({ code: 'custom', path: [key], message });
  if (config.username === undefined && config.user_id === undefined) {
    missing(
      'username',
      'required (or give user_id, or application_credential_id and application_credential_secret)',
    );
  }
  if (config.password === undefined) {
    missing('password', 'required (or give application_credential_id and application_credential_secret)');
  }
  const project = [config.project_name, config.project_id, config.tenant_name, config.tenant_id];
  if (project.every((value) => value === undefined)) missing('project_name', 'required (or give project_id)');
}

/** The original backend's keys, as keystoneclient's auth plugins named them. */
interface LegacyKeys {
  readonly auth_url: string;
  readonly auth_plugin?: string | undefined;
  readonly tenant_name?: string | undefined;
  readonly tenant_id?: string | undefined;
  readonly project_name?: string | undefined;
  readonly project_id?: string | undefined;
  readonly api_key?: string | undefined;
  readonly domain_id?: string | undefined;
  readonly domain_name?: string | undefined;
  readonly trust_id?: string | undefined;
}
type LegacyKey =
  | 'auth_plugin'
  | 'tenant_name'
  | 'tenant_id'
  | 'api_key'
  | 'domain_id'
  | 'domain_name'
  | 'trust_id';

/** `auth_plugin` values that name what this backend does on Keystone v3. */
const V3_PLUGINS: readonly string[] = ['password', 'v3password', 'v3applicationcredential'];
const USE_V3_USER =
  'give username, password and project_name of a Keystone v3 user, or application_credential_id and ' +
  'application_credential_secret';

/** Refuses the original's keys that mean nothing on Keystone v3, each with what to write instead. */
export function checkLegacyKeys(config: LegacyKeys, context: z.core.$RefinementCtx<LegacyKeys>): void {
  const refuse = (key: string, message: string) => context.addIssue({ code: 'custom', path: [key], message });
  const plugin = config.auth_plugin;
  if (plugin === 'rackspace') {
    refuse(
      'auth_plugin',
      `Rackspace API-key authentication is not supported: remove auth_plugin and ${USE_V3_USER}`,
    );
  } else if (plugin !== undefined && /^v2/.test(plugin)) {
    refuse(
      'auth_plugin',
      'Keystone v2 is gone: write auth_plugin: password (or leave it out) with a v3 auth_url',
    );
  } else if (plugin !== undefined && !V3_PLUGINS.includes(plugin)) {
    refuse(
      'auth_plugin',
      `${plugin} is not supported: write auth_plugin: password or v3applicationcredential`,
    );
  }
  if (config.api_key !== undefined) refuse('api_key', `Rackspace API keys are not supported: ${USE_V3_USER}`);
  if (/\/v2\.0\/?$/.test(config.auth_url)) {
    refuse(
      'auth_url',
      'Keystone v2.0 is gone: give the v3 endpoint, e.g. https://keystone.example.com:5000/v3',
    );
  }
  for (const key of ['domain_id', 'domain_name'] as const) {
    if (config[key] !== undefined) {
      refuse(
        key,
        'a domain-scoped token cannot use Cinder: give project_name (with project_domain_name) or project_id',
      );
    }
  }
  if (config.trust_id !== undefined) {
    refuse(
      'trust_id',
      'trusts are not supported: use application_credential_id and application_credential_secret',
    );
  }
  const renamed = [
    ['tenant_name', 'project_name'],
    ['tenant_id', 'project_id'],
  ] as const;
  for (const [old, now] of renamed) {
    if (config[old] !== undefined && config[now] !== undefined && config[old] !== config[now]) {
      refuse(old, `give ${now} only (${old} is its Keystone v2 name)`);
    }
  }
}

/** The config without the original's keys: `tenant_*` become `project_*`, the rest said nothing more. */
export function fromLegacyKeys<T extends LegacyKeys>(config: T): Omit<T, LegacyKey> {
  const { auth_plugin, tenant_name, tenant_id, api_key, domain_id, domain_name, trust_id, ...rest } = config;
  return {
    ...rest,
    project_name: config.project_name ?? tenant_name,
    project_id: config.project_id ?? tenant_id,
  } as Omit<T, LegacyKey>;
}
