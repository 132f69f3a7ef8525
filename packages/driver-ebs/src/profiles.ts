import type { ProfileConfig, VolumeType } from './config.js';

interface TypeLimits {
  readonly minGiB: number;
  readonly maxGiB: number;
  readonly iops?: { readonly min: number; readonly max: number; readonly perGiB: number };
}

/** Size and IOPS limits per type (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-volume-types.html). */
export const VOLUME_TYPE_LIMITS: Readonly<Record<VolumeType, TypeLimits>> = {
  standard: { minGiB: 1, maxGiB: 1024 },
  gp2: { minGiB: 1, maxGiB: 16_384 },
  gp3: { minGiB: 1, maxGiB: 16_384, iops: { min: 3000, max: 16_000, perGiB: 500 } },
  io1: { minGiB: 4, maxGiB: 16_384, iops: { min: 100, max: 64_000, perGiB: 50 } },
  io2: { minGiB: 4, maxGiB: 65_536, iops: { min: 100, max: 256_000, perGiB: 1000 } },
  st1: { minGiB: 125, maxGiB: 16_384 },
  sc1: { minGiB: 125, maxGiB: 16_384 },
};
/** What a profile's type falls back to when it cannot hold the size: holds 1 GiB to 16 TiB. */
export const FALLBACK_VOLUME_TYPE: VolumeType = 'gp3';

export interface VolumeParameters {
  readonly volumeType: VolumeType;
  readonly iops: number | undefined;
  /** Why the profile's own type was not used, when it was not. */
  readonly fallback: string | undefined;
}

/**
 * The type and IOPS for a volume of `sizeGiB` in `profile`. Provisioned IOPS are `iops_per_gib` times the
 * size, clamped to the type's range and `max_iops`. A size the type cannot hold (io2 below 4 GiB, sc1 below
 * 125 GiB) gets {@link FALLBACK_VOLUME_TYPE}, as the original fell back to its default profile.
 */
export function volumeParameters(profile: ProfileConfig, sizeGiB: number): VolumeParameters {
  const limits = VOLUME_TYPE_LIMITS[profile.volume_type];
  if (sizeGiB < limits.minGiB || sizeGiB > limits.maxGiB) {
    const fallback = `${profile.volume_type} holds ${limits.minGiB}-${limits.maxGiB} GiB, not ${sizeGiB} GiB`;
    return { volumeType: FALLBACK_VOLUME_TYPE, iops: undefined, fallback };
  }
  if (limits.iops === undefined || profile.iops_per_gib === undefined) {
    return { volumeType: profile.volume_type, iops: undefined, fallback: undefined };
  }
  const ceiling = Math.min(
    limits.iops.max,
    limits.iops.perGiB * sizeGiB,
    profile.max_iops ?? Number.POSITIVE_INFINITY,
  );
  const iops = Math.max(limits.iops.min, Math.min(ceiling, profile.iops_per_gib * sizeGiB));
  return { volumeType: profile.volume_type, iops, fallback: undefined };
}
