import { z } from 'zod';
import { checkCredentials, checkLegacyKeys, fromLegacyKeys } from './config-rules.js';

/** Where instance ids come from, tried in the configured order. */
export const INSTANCE_ID_SOURCES = ['config-drive', 'metadata-service', 'nova-addresses'] as const;
export type InstanceIdSource = (typeof INSTANCE_ID_SOURCES)[number];
/** The link-local metadata service every Nova server reaches. */
export const DEFAULT_METADATA_URL = 'http://169.254.169.254';
export const DEFAULT_DEVICE_ROOT = '/dev';

const timeout = (what: string, defaultMs: number, why = '') =>
  z
    .int()
    .positive()
    .default(defaultMs)
    .describe(
      `Milliseconds to wait for ${what}. Default ${defaultMs}${why === '' ? '' : `, because ${why}`}.`,
    );

/** Bounds on every wait; the defaults follow cinder-csi's backoffs with room for a loaded cloud. */
const timeoutsSchema = z
  .strictObject({
    request_ms: timeout('one HTTP request (Keystone, Cinder, Nova)', 30_000),
    create_ms: timeout('a new volume to leave `creating`', 300_000),
    attach_ms: timeout(
      'an attachment to reach `in-use` (a stuck one is undone)',
      120_000,
      "Nova's own volume attach waits up to about 3 minutes for Cinder and a busy compute host takes a minute",
    ),
    detach_ms: timeout(
      'a detachment to reach `available`',
      120_000,
      'a guest that is slow to release the disk holds a detach for a minute or more before Nova gives up',
    ),
    destroy_ms: timeout('a deleted volume to disappear', 300_000),
    device_ms: timeout("an attached volume's device to appear on this node", 60_000),
    metadata_ms: timeout('the config drive or the metadata service', 5_000),
  })
  .describe('Time limits, in milliseconds.');

/**
 * Keys of the original backend (keystoneclient's auth plugins): those that still mean something on Keystone v3
 * are accepted and mapped to ours; the others are refused by `checkLegacyKeys`, saying what to write instead.
 */
const legacyKeys = {
  auth_plugin: z
    .string()
    .min(1)
    .optional()
    .describe(
      'The original backend\u2019s Keystone plugin: password or v3password (user and password), ' +
        'v3applicationcredential; others (v2password, rackspace, token) are refused. Default: from the keys given.',
    ),
  tenant_name: z.string().min(1).optional().describe('Keystone v2 name of project_name; accepted as it.'),
  tenant_id: z.string().min(1).optional().describe('Keystone v2 name of project_id; accepted as it.'),
  api_key: z
    .string()
    .optional()
    .describe('Rackspace API key of the original backend: refused (no Keystone v3 cloud takes it).'),
  domain_id: z
    .string()
    .optional()
    .describe('Domain scope of the original backend: refused (Cinder needs a project).'),
  domain_name: z
    .string()
    .optional()
    .describe('Domain scope of the original backend: refused (Cinder needs a project).'),
  trust_id: z.string().optional().describe('Keystone trust of the original backend: refused.'),
};

/** The `dataset` section of agent.yml for `backend: openstack`. */
export const configSchema = z
  .strictObject({
    region: z
      .string()
      .min(1)
      .describe('The Keystone region of the Cinder and Nova endpoints, e.g. RegionOne.'),
    auth_url: z
      .url({ protocol: /^https?$/ })
      .describe(
        'Keystone v3 endpoint, e.g. https://keystone.example.com:5000/v3 (a trailing /v3 is optional).',
      ),
    username: z.string().min(1).optional().describe('User name, for password authentication.'),
    password: z.string().min(1).optional().describe('Password, for password authentication. Never logged.'),
    user_id: z
      .string()
      .min(1)
      .optional()
      .describe('User id, instead of username (and user_domain_name), for password authentication.'),
    user_domain_name: z.string().min(1).default('Default').describe("The user's domain. Default Default."),
    user_domain_id: z
      .string()
      .min(1)
      .optional()
      .describe("The user's domain by id, instead of user_domain_name."),
    project_name: z.string().min(1).optional().describe('Project (tenant) to scope the token to, by name.'),
    project_id: z
      .string()
      .min(1)
      .optional()
      .describe('Project to scope the token to, by id; instead of project_name.'),
    project_domain_name: z
      .string()
      .min(1)
      .default('Default')
      .describe("The project's domain. Default Default."),
    project_domain_id: z
      .string()
      .min(1)
      .optional()
      .describe("The project's domain by id, instead of project_domain_name."),
    application_credential_id: z
      .string()
      .min(1)
      .optional()
      .describe('Application credential id, instead of user name and password.'),
    application_credential_secret: z
      .string()
      .min(1)
      .optional()
      .describe('Application credential secret. Never logged.'),
    interface: z
      .enum(['public', 'internal', 'admin'])
      .default('public')
      .describe('Which catalog endpoints to use. Default public.'),
    volume_types: z
      .record(z.string().min(1), z.string().min(1))
      .default({})
      .describe(
        'Cinder volume type per storage profile (gold, silver, bronze, default, or any other name). A profile ' +
          "without an entry gets the cloud's default type. Default {}.",
      ),
    availability_zone: z
      .string()
      .min(1)
      .optional()
      .describe("Availability zone for new volumes. Default: Cinder's default zone."),
    verify_peer: z.boolean().default(true).describe('Verify TLS certificates. Default true.'),
    verify_ca_path: z
      .string()
      .min(1)
      .optional()
      .describe('PEM file of the CA that signed the endpoints\u2019 certificates. Default: the system CAs.'),
    instance_id: z
      .string()
      .min(1)
      .optional()
      .describe("This node's Nova server id, skipping discovery. Default: discovered."),
    instance_id_sources: z
      .array(z.enum(INSTANCE_ID_SOURCES))
      .min(1)
      .default([...INSTANCE_ID_SOURCES])
      .describe(
        `Where to look for this node's server id, in order: ${INSTANCE_ID_SOURCES.join(', ')}. Default all, in that order.`,
      ),
    metadata_url: z
      .url({ protocol: /^https?$/ })
      .default(DEFAULT_METADATA_URL)
      .describe(`Base URL of the metadata service. Default ${DEFAULT_METADATA_URL}.`),
    device_root: z
      .string()
      .startsWith('/', 'must be an absolute path')
      .default(DEFAULT_DEVICE_ROOT)
      .describe(`Where this node's block devices and disk/by-id links are. Default ${DEFAULT_DEVICE_ROOT}.`),
    timeouts: timeoutsSchema.default(timeoutsSchema.parse({})),
    ...legacyKeys,
  })
  .superRefine(checkLegacyKeys)
  .superRefine(checkCredentials)
  .transform(fromLegacyKeys)
  .describe('OpenStack backend: Cinder volumes attached to Nova servers.');

export type CinderConfigInput = z.input<typeof configSchema>;
export type CinderConfig = z.output<typeof configSchema>;
