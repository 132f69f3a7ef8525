import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { configSchema } from '../src/index.js';

// The agent.yml keys of the original openstack backend (keystoneclient's `password` plugin): what still means
// something on Keystone v3 is accepted, the rest is refused with what to write instead. No cloud, no root.
const base = { region: 'RegionOne', auth_url: 'https://keystone.example.com:5000/v3' };
const problems = (input: Record<string, unknown>): Record<string, string> => {
  const parsed = configSchema.safeParse({ ...base, ...input });
  return Object.fromEntries(
    (parsed.error?.issues ?? []).map((issue) => [issue.path.join('.'), issue.message] as const),
  );
};

describe('openstack config', () => {
  it('refuses incomplete credentials, naming the keys', () => {
    expect(Object.keys(problems({ username: 'u' }))).toEqual(
      expect.arrayContaining(['password', 'project_name']),
    );
    expect(
      configSchema.safeParse({
        ...base,
        application_credential_id: 'id',
        application_credential_secret: 's',
      }).success,
    ).toBe(true);
  });

  it("accepts the original's Keystone v3 keys: auth_plugin password, tenant_name, user_id, domain ids", () => {
    const config = configSchema.parse({
      ...base,
      auth_plugin: 'password',
      username: 'demo',
      password: 'secret',
      tenant_name: 'demo-project',
      user_domain_name: 'Users',
      project_domain_id: 'default',
    });
    expect(config).toMatchObject({
      username: 'demo',
      project_name: 'demo-project',
      user_domain_name: 'Users',
      project_domain_id: 'default',
    });
    expect(config).not.toHaveProperty('tenant_name');
    expect(configSchema.parse({ ...base, user_id: 'u-1', password: 'p', tenant_id: 'p-1' })).toMatchObject({
      user_id: 'u-1',
      project_id: 'p-1',
    });
    expect(
      configSchema.parse({
        ...base,
        auth_plugin: 'v3applicationcredential',
        application_credential_id: 'a',
        application_credential_secret: 's',
      }),
    ).toMatchObject({ application_credential_id: 'a' });
  });

  it('refuses what has no meaning on Keystone v3, saying what to write instead', () => {
    const rackspace = problems({ auth_plugin: 'rackspace', username: 'u', api_key: 'k' });
    expect(rackspace.auth_plugin).toMatch(/Rackspace.*password/);
    expect(rackspace.api_key).toMatch(/password|application_credential/);
    expect(problems({ auth_plugin: 'v2password', username: 'u', password: 'p', project_name: 'x' })).toEqual({
      auth_plugin: expect.stringMatching(/Keystone v2.*auth_plugin: password/),
    });
    const v2 = problems({ auth_url: 'https://keystone.example.com:5000/v2.0', username: 'u', password: 'p' });
    expect(v2.auth_url).toMatch(/v2\.0.*\/v3/);
    expect(problems({ domain_name: 'Default', username: 'u', password: 'p', project_name: 'x' })).toEqual({
      domain_name: expect.stringMatching(/project_name/),
    });
    expect(
      problems({ tenant_name: 'a', project_name: 'b', username: 'u', password: 'p' }).tenant_name,
    ).toMatch(/project_name/);
  });

  it('documents the attach and detach time limits with their reasons', () => {
    const timeouts = configSchema.parse({
      ...base,
      username: 'u',
      password: 'p',
      project_name: 'x',
    }).timeouts;
    expect(timeouts).toMatchObject({ attach_ms: 120_000, detach_ms: 120_000 });
    const described = JSON.stringify(z.toJSONSchema(configSchema, { io: 'input' }));
    expect(described).toMatch(/attach_ms[^}]*because/);
    expect(described).toMatch(/detach_ms[^}]*because/);
  });
});
