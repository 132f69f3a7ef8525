/**
 * Request rate limits as token buckets, one per bucket name: a call takes a token, a call finding its bucket
 * empty is throttled, and each bucket refills at its rate up to its capacity. EC2 evaluates each API on its own
 * (a bucket per action) with the capacity and refill of the action's category; {@link EC2_RATE_LIMITS} gives
 * those of the actions the emulator serves.
 */

/** One bucket's shape: how many calls it lets through at once, and how fast it refills. */
export interface TokenBucketShape {
  readonly capacity: number;
  readonly refillPerSecond: number;
}

/** Bucket shapes by bucket name (an operation, or an operation's variant such as `DescribeVolumes:unfiltered`). */
export type RateLimits = Readonly<Record<string, TokenBucketShape>>;

/**
 * What a describe without filters and without pagination draws from, for the actions EC2 gives that smaller
 * bucket (`DescribeVolumes`, `DescribeInstances`, ...): `<action>:unfiltered`.
 */
export const UNFILTERED_SUFFIX = ':unfiltered';

const NON_MUTATING: TokenBucketShape = { capacity: 100, refillPerSecond: 20 };
const UNFILTERED_NON_MUTATING: TokenBucketShape = { capacity: 50, refillPerSecond: 10 };
const MUTATING: TokenBucketShape = { capacity: 50, refillPerSecond: 5 };

/**
 * EC2's request token buckets for the actions the emulator serves, as documented in "Request throttling for the
 * Amazon EC2 API" (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html, tables "Request
 * token bucket sizes and refill rates"): non-mutating actions 100 tokens, 20/s; unfiltered and unpaginated
 * `DescribeVolumes`/`DescribeInstances` 50, 10/s; mutating actions (`AttachVolume`, `DetachVolume`,
 * `StopInstances`) 50, 5/s; and the uncategorized `CreateVolume` and `DeleteVolume` 100, 5/s, `CreateTags`
 * 100, 10/s, `StartInstances` 5, 2/s. Resource token buckets (`StartInstances`, `StopInstances`) are not modelled.
 */
export const EC2_RATE_LIMITS: RateLimits = {
  DescribeVolumes: NON_MUTATING,
  [`DescribeVolumes${UNFILTERED_SUFFIX}`]: UNFILTERED_NON_MUTATING,
  DescribeInstances: NON_MUTATING,
  [`DescribeInstances${UNFILTERED_SUFFIX}`]: UNFILTERED_NON_MUTATING,
  DescribeAvailabilityZones: NON_MUTATING,
  AttachVolume: MUTATING,
  DetachVolume: MUTATING,
  StopInstances: MUTATING,
  CreateVolume: { capacity: 100, refillPerSecond: 5 },
  DeleteVolume: { capacity: 100, refillPerSecond: 5 },
  CreateTags: { capacity: 100, refillPerSecond: 10 },
  StartInstances: { capacity: 5, refillPerSecond: 2 },
};

/**
 * The same categories for the OpenStack front end's operations. OpenStack documents no default limits (rate
 * limiting is a deployment's middleware or proxy), so these borrow EC2's shapes: reads as non-mutating actions,
 * attach and detach as mutating ones, creates and deletes as EC2's CreateVolume and DeleteVolume. Tokens are
 * not limited (`keystone:*`).
 */
export const OPENSTACK_RATE_LIMITS: RateLimits = {
  'cinder:GetVolume': NON_MUTATING,
  'cinder:ListVolumes': NON_MUTATING,
  'cinder:ListVolumeTypes': NON_MUTATING,
  'nova:GetServer': NON_MUTATING,
  'nova:ListServers': NON_MUTATING,
  'nova:ListVolumeAttachments': NON_MUTATING,
  'nova:ServerAction': MUTATING,
  'nova:AttachVolume': MUTATING,
  'nova:DetachVolume': MUTATING,
  'cinder:CreateVolume': { capacity: 100, refillPerSecond: 5 },
  'cinder:DeleteVolume': { capacity: 100, refillPerSecond: 5 },
};
