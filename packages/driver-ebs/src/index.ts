import { randomBytes } from 'node:crypto';
import type { BackendDescription } from '@flockerjs/core-interface';
import { configSchema, type EbsConfig } from './config.js';
import { AwsEbsDriver, DRIVER_NAME, GIB } from './ebs-driver.js';

/** The plugin object agent.yml's `backend: aws` loads. */
export const FLOCKER_BACKEND = {
  name: DRIVER_NAME,
  needsClusterId: true,
  configSchema,
  deployerType: 'block',
  apiFactory: (config, context) => AwsEbsDriver.open(config, context),
  // Node B of an acceptance run is another instance: its own agent.yml, given to flocker-certify --peer-config.
  certification: {
    minimumAllocatableSize: GIB,
    unknownBlockDeviceId: () => `vol-${randomBytes(9).toString('hex').slice(0, 17)}`,
  },
} satisfies BackendDescription<EbsConfig>;

export default FLOCKER_BACKEND;

export {
  configSchema,
  DEFAULT_DEVICE_ROOT,
  DEFAULT_IMDS_ENDPOINT,
  DEFAULT_PROFILES,
  DESCRIBE_PAGE_SIZE,
  type EbsConfig,
  type EbsConfigInput,
  type ProfileConfig,
  VOLUME_TYPES,
  type VolumeType,
} from './config.js';
export {
  type DeviceFs,
  type Discovery,
  deviceInUse,
  discoverDevice,
  NVME_BY_ID_PREFIX,
} from './device/discovery.js';
export { DEVICE_NAMES, DeviceNameAllocator, REFUSED_NAME_MEMORY_MS } from './device/names.js';
export {
  AwsEbsDriver,
  CLUSTER_ID_TAG,
  clientTokenFor,
  DATASET_ID_TAG,
  DESCRIBE_INSTANCES_MAX_RESULTS,
  DRIVER_NAME,
  type EbsContext,
  GIB,
  MAX_CLIENT_TOKEN_GENERATIONS,
  METADATA_VERSION,
  METADATA_VERSION_TAG,
  PROFILE_TAG,
  VolumeBusyError,
} from './ebs-driver.js';
export {
  type CreateVolumeInput,
  createSdkEc2Api,
  EC2_FAILURES,
  type Ec2Api,
  type Ec2Attachment,
  Ec2CallError,
  type Ec2Failure,
  type Ec2Instance,
  type Ec2Volume,
  failureOf,
  isTransient,
  redactSecrets,
} from './ec2-client.js';
export { IMDS_TIMEOUT_MS, type ImdsOptions, type InstanceMetadata, imdsMetadata } from './metadata.js';
export { FALLBACK_VOLUME_TYPE, type VolumeParameters, volumeParameters } from './profiles.js';
export {
  DEFAULT_THROTTLE_WAIT_MS,
  GateRetryStrategy,
  GateRetryToken,
  PROBE_REPORT_MS,
  THROTTLE_FIRST_PAUSE_MS,
  THROTTLE_MAX_PAUSE_MS,
  ThrottleGate,
} from './throttle-gate.js';
export { VolumeFailedError } from './volume-waits.js';
