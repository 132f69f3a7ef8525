import { randomUUID } from 'node:crypto';
import { describeBlockDeviceAPI } from '@flockerjs/conformance';
import { hasCode, silentLogger } from '@flockerjs/core-interface';
import { AwsEbsDriver, configSchema, createSdkEc2Api, DATASET_ID_TAG, GIB } from '../src/index.js';
import { unknownVolumeId } from './emulated-cloud.js';

/**
 * Nightly only: the same suite against real EC2, from an EC2 instance, as root. It runs when
 * FLOCKER_AWS_REGION is set and the standard AWS credential chain has something to find in the environment
 * (keys, a profile, web identity or container credentials); otherwise every test is skipped with the reason.
 * Volumes are created in this instance's zone, tagged with a fresh cluster id per test, and destroyed after it.
 */
const region = process.env.FLOCKER_AWS_REGION;
const hasCredentials = [
  'AWS_ACCESS_KEY_ID',
  'AWS_PROFILE',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
].some((name) => (process.env[name] ?? '') !== '');
const skip =
  region === undefined || !hasCredentials
    ? 'real AWS is tested nightly only: set FLOCKER_AWS_REGION and AWS credentials (AWS_ACCESS_KEY_ID or AWS_PROFILE), on an EC2 instance, as root'
    : process.getuid?.() !== 0
      ? 'real AWS tests attach EBS volumes to this instance and read its devices, which needs root'
      : undefined;

const config = () =>
  configSchema.parse({
    region,
    ...(process.env.FLOCKER_AWS_ZONE ? { zone: process.env.FLOCKER_AWS_ZONE } : {}),
  });
const ec2 = () =>
  createSdkEc2Api({ region: region ?? '', maxAttempts: 10, logger: silentLogger, driverName: 'aws' });

describeBlockDeviceAPI({
  name: 'aws (real EC2)',
  factory: () => AwsEbsDriver.open(config(), { clusterId: randomUUID() }),
  minimumAllocatableSize: GIB,
  unknownBlockDeviceId: unknownVolumeId,
  inspect: async (blockDeviceId) => {
    const volume = await ec2()
      .describeVolume(blockDeviceId)
      .catch((error: unknown) => {
        if (hasCode(error, 'UNKNOWN_VOLUME')) return undefined;
        throw error;
      });
    if (volume === undefined || volume.state === 'deleting' || volume.state === 'deleted') return undefined;
    return {
      size: volume.sizeGiB * GIB,
      attachedTo: volume.attachments[0]?.instanceId ?? null,
      datasetId: volume.tags[DATASET_ID_TAG] ?? '',
    };
  },
  // EC2 is eventually consistent: a listing may lag a change by seconds.
  consistency: { attempts: 30, intervalMs: 2_000 },
  skip,
  timeoutMs: 900_000,
});
