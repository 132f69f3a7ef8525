import { z } from 'zod';
import { credentialsTogether, provisionedIopsSet } from './config-rules.js';
import { DEFAULT_THROTTLE_WAIT_MS } from './throttle-gate.js';

/** Where the kernel puts device nodes; the emulator's per-instance directory stands in for it in tests. */
export const DEFAULT_DEVICE_ROOT = '/dev';
/** The instance metadata service, IPv4 (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html). */
export const DEFAULT_IMDS_ENDPOINT = 'http://169.254.169.254';
/** EBS volume types (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-volume-types.html). */
export const VOLUME_TYPES = ['standard', 'gp2', 'gp3', 'io1', 'io2', 'st1', 'sc1'] as const;
export type VolumeType = (typeof VOLUME_TYPES)[number];
/** DescribeVolumes pages hold 5 to 500 volumes; the largest takes the fewest calls. */
export const DESCRIBE_PAGE_SIZE = { min: 5, max: 500 } as const;

const ms = (what: string, fallback: number) =>
  z.int().positive().default(fallback).describe(`${what}, in milliseconds. Default ${fallback}.`);

const profileSchema = z
  .strictObject({
    volume_type: z.enum(VOLUME_TYPES).describe('EBS volume type of the profile.'),
    iops_per_gib: z
      .int()
      .positive()
      .optional()
      .describe("Provisioned IOPS per GiB of size (io1, io2, gp3); none: the type's baseline."),
    max_iops: z.int().positive().optional().describe('Upper bound on the provisioned IOPS.'),
  })
  .describe('The volume type and IOPS a storage profile gets.');
export type ProfileConfig = z.output<typeof profileSchema>;

/** The mapping of the original driver (gold io1, silver gp2, bronze standard), moved to today's types. */
export const DEFAULT_PROFILES = {
  gold: { volume_type: 'io2', iops_per_gib: 50, max_iops: 64_000 },
  silver: { volume_type: 'gp3' },
  bronze: { volume_type: 'standard' },
} as const satisfies Record<string, ProfileConfig>;

/** The `dataset` section of agent.yml for `backend: aws`. */
export const configSchema = z
  .strictObject({
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS region such as us-east-1')
      .describe('AWS region of the cluster, such as us-east-1. Required.'),
    zone: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Availability zone volumes are created in. Must be this instance's zone. Default: read from IMDS.",
      ),
    access_key_id: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Access key id. Default: the standard AWS credential chain (environment, profile, instance role).',
      ),
    secret_access_key: z
      .string()
      .min(1)
      .optional()
      .describe('Secret access key; required with access_key_id.'),
    session_token: z.string().min(1).optional().describe('Session token of temporary credentials.'),
    endpoint: z
      .url()
      .optional()
      .describe("EC2 endpoint URL, for an emulator or a VPC endpoint. Default: the region's."),
    imds_endpoint: z
      .url()
      .default(DEFAULT_IMDS_ENDPOINT)
      .describe(
        `Instance metadata service URL: IMDSv2, or IMDSv1 when no token can be had. Default ${DEFAULT_IMDS_ENDPOINT}.`,
      ),
    imds_timeout_ms: ms('Longest wait for one answer of the metadata service', 2_000),
    compute_instance_id: z
      .string()
      .regex(/^i-[0-9a-f]{8,17}$/, 'must be an EC2 instance id such as i-0123456789abcdef0')
      .optional()
      .describe("This node's instance id. Default: read from the metadata service when first needed."),
    device_root: z
      .string()
      .startsWith('/', 'must be an absolute path')
      .default(DEFAULT_DEVICE_ROOT)
      .describe(`Directory of device nodes, searched for attached volumes. Default ${DEFAULT_DEVICE_ROOT}.`),
    max_attempts: z
      .int()
      .min(1)
      .max(50)
      .default(10)
      .describe(
        'Tries per EC2 call for server errors and network failures; throttled tries are bounded by timeouts.throttle_ms. Default 10.',
      ),
    page_size: z
      .int()
      .min(DESCRIBE_PAGE_SIZE.min)
      .max(DESCRIBE_PAGE_SIZE.max)
      .default(DESCRIBE_PAGE_SIZE.max)
      .describe(
        `Volumes per DescribeVolumes page (${DESCRIBE_PAGE_SIZE.min}-${DESCRIBE_PAGE_SIZE.max}). Default ${DESCRIBE_PAGE_SIZE.max}, the fewest calls.`,
      ),
    timeouts: z
      .strictObject({
        create_ms: ms('Longest wait for a new volume to become available', 300_000),
        attach_ms: ms(
          'Longest time a volume may stay attaching; past it the attachment is detached and reported',
          90_000,
        ),
        detach_ms: ms('Longest wait for a volume to detach', 300_000),
        destroy_ms: ms('Longest wait for a volume to be deleted', 300_000),
        device_ms: ms("Longest wait for an attached volume's device to appear (or go) on this node", 60_000),
        throttle_ms: ms(
          'Longest time one EC2 call keeps being throttled (RequestLimitExceeded) before it fails',
          DEFAULT_THROTTLE_WAIT_MS,
        ),
      })
      .prefault({})
      .describe('Bounds on every wait.'),
    polling: z
      .strictObject({
        interval_ms: ms("First delay between two polls of a volume's state", 50),
        factor: z
          .number()
          .min(1)
          .max(4)
          .default(1.1)
          .describe('Growth of the delay after each poll. Default 1.1.'),
        max_interval_ms: ms('Longest delay between two polls', 2_000),
      })
      .prefault({})
      .describe('How volume states are polled: short, backed-off DescribeVolumes calls.'),
    profiles: z
      .strictObject({
        gold: profileSchema.default(DEFAULT_PROFILES.gold),
        silver: profileSchema.default(DEFAULT_PROFILES.silver),
        bronze: profileSchema.default(DEFAULT_PROFILES.bronze),
      })
      .prefault({})
      .describe('Volume type per storage profile; `default` is bronze.'),
  })
  .superRefine(credentialsTogether)
  .superRefine(provisionedIopsSet)
  .describe('AWS EBS backend: volumes are EBS volumes attached to this EC2 instance.');

export type EbsConfigInput = z.input<typeof configSchema>;
export type EbsConfig = z.output<typeof configSchema>;
