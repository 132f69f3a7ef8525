export type { Exec } from '@flockerjs/core-interface';
export {
  type CloudEmulator,
  type CloudEmulatorOptions,
  type EmulatedInstance,
  STATE_DIR_PREFIX,
  startCloudEmulator,
} from './cloud-emulator.js';
export { EBS_DEVICE_NAME, nvmeByIdName, xenDeviceName } from './devices/device-directory.js';
export { loopDevicesUnder } from './devices/loop-devices.js';
export { EC2_EMULATOR_CREDENTIALS, ec2DatasetKeys, openstackDatasetKeys } from './driver-config.js';
export { DESCRIBE_INSTANCES_PAGE, DESCRIBE_VOLUMES_PAGE } from './ec2/actions.js';
export { CLIENT_TOKEN_MAX_LENGTH, CLIENT_TOKEN_TTL_MS } from './ec2/client-tokens.js';
export { EC2_XMLNS, Ec2FrontEnd } from './ec2/ec2-server.js';
export type { QueryParams } from './ec2/query.js';
export { VOLUME_TYPE_RULES } from './ec2/volume-types.js';
export {
  DEFAULT_TIMINGS,
  Fabric,
  type NewInstance,
  type NewVolume,
  ROOT_DEVICE_NAME,
  type Transition,
} from './fabric/fabric.js';
export { FABRIC_ERROR_KINDS, FabricError, type FabricErrorKind } from './fabric/fabric-error.js';
export {
  type CallSchedule,
  type FabricOperation,
  type FaultOptions,
  Faults,
  LIFECYCLE_FAULTS,
  type LifecycleFault,
  type LifecycleVerdict,
  type Verdict,
} from './fabric/faults.js';
export {
  EC2_RATE_LIMITS,
  OPENSTACK_RATE_LIMITS,
  type RateLimits,
  type TokenBucketShape,
  UNFILTERED_SUFFIX,
} from './fabric/rate-limits.js';
export {
  ATTACHMENT_STATES,
  type Attachment,
  type AttachmentState,
  DEVICE_MODES,
  type DeviceMode,
  INSTANCE_STATES,
  type Instance,
  type InstanceState,
  type Timings,
  VOLUME_STATES,
  type Volume,
  type VolumeState,
} from './fabric/types.js';
export { type ImdsOptions, ImdsServer, TOKEN_TTL_SECONDS } from './imds/imds-server.js';
export { type CinderRequest, cinderAsDemo } from './openstack/demo-client.js';
export {
  CONFIG_DRIVE_LABEL,
  DISK_BUSES,
  type DiskBus,
  type EmulatedServer,
  type InspectedCinderVolume,
  type NewServer,
  type OpenStackEmulator,
  type OpenStackEmulatorOptions,
  startOpenStackEmulator,
  virtioByIdName,
} from './openstack/openstack-emulator.js';
