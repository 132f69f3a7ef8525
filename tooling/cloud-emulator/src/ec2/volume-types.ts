import { Ec2Error } from './ec2-error.js';

interface IopsRule {
  readonly min: number;
  readonly max: number;
  /** Highest IOPS per GiB of size. */
  readonly perGiB: number;
  readonly required: boolean;
  readonly default?: number;
}

interface VolumeTypeRule {
  readonly minGiB: number;
  readonly maxGiB: number;
  readonly iops?: IopsRule;
}

/** EBS volume types and their size and IOPS limits (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-volume-types.html). */
export const VOLUME_TYPE_RULES: Readonly<Record<string, VolumeTypeRule>> = {
  standard: { minGiB: 1, maxGiB: 1024 },
  gp2: { minGiB: 1, maxGiB: 16384 },
  gp3: {
    minGiB: 1,
    maxGiB: 16384,
    iops: { min: 3000, max: 16000, perGiB: 500, required: false, default: 3000 },
  },
  io1: { minGiB: 4, maxGiB: 16384, iops: { min: 100, max: 64000, perGiB: 50, required: true } },
  io2: { minGiB: 4, maxGiB: 65536, iops: { min: 100, max: 256000, perGiB: 1000, required: true } },
  st1: { minGiB: 125, maxGiB: 16384 },
  sc1: { minGiB: 125, maxGiB: 16384 },
};

/** EC2's default when CreateVolume names no type. */
export const DEFAULT_VOLUME_TYPE = 'gp2';

/** Checks a CreateVolume's type, size and IOPS as EC2 does; returns the IOPS the volume gets. */
export function checkVolumeType(type: string, sizeGiB: number, iops: number | undefined): number | undefined {
  const rule = VOLUME_TYPE_RULES[type];
  if (rule === undefined) {
    throw new Ec2Error('InvalidParameterValue', `Value (${type}) for parameter volumeType is invalid.`);
  }
  if (sizeGiB < rule.minGiB || sizeGiB > rule.maxGiB) {
    throw new Ec2Error(
      'InvalidParameterValue',
      `Volume of ${sizeGiB}GiB is not valid for ${type}: sizes must be between ${rule.minGiB} and ${rule.maxGiB} GiB.`,
    );
  }
  if (rule.iops === undefined) {
    if (iops !== undefined) {
      throw new Ec2Error(
        'InvalidParameterCombination',
        `The parameter iops is not supported for ${type} volumes.`,
      );
    }
    return undefined;
  }
  if (iops === undefined) {
    if (rule.iops.required)
      throw new Ec2Error('MissingParameter', 'The request must contain the parameter iops');
    return rule.iops.default;
  }
  if (iops < rule.iops.min || iops > rule.iops.max) {
    throw new Ec2Error(
      'InvalidParameterValue',
      `Volume iops of ${iops} is not valid for ${type}: it must be between ${rule.iops.min} and ${rule.iops.max}.`,
    );
  }
  if (iops > (rule.iops.default ?? 0) && iops / sizeGiB > rule.iops.perGiB) {
    throw new Ec2Error(
      'InvalidParameterValue',
      `Iops to volume size ratio of ${iops / sizeGiB} is too high; maximum is ${rule.iops.perGiB}.`,
    );
  }
  return iops;
}
