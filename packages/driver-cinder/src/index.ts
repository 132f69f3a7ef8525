import { randomUUID } from 'node:crypto';
import type { BackendDescription } from '@flockerjs/core-interface';
import { CinderDriver, DRIVER_NAME, MINIMUM_ALLOCATABLE_SIZE } from './cinder-driver.js';
import { type CinderConfig, configSchema } from './config.js';

/** The plugin object agent.yml's `backend: openstack` loads. */
export const FLOCKER_BACKEND = {
  name: DRIVER_NAME,
  needsClusterId: true,
  configSchema,
  deployerType: 'block',
  apiFactory: (config, context) => CinderDriver.open(config, context),
  certification: {
    minimumAllocatableSize: MINIMUM_ALLOCATABLE_SIZE,
    // Cinder ids are UUIDs: a fresh one is well-formed and names no volume.
    unknownBlockDeviceId: () => randomUUID(),
  },
} satisfies BackendDescription<CinderConfig>;

export default FLOCKER_BACKEND;

export type { Exec, ExecResult } from '@flockerjs/core-interface';
export {
  type CinderAttachment,
  type CinderClient,
  type CinderVolume,
  type CreateVolumeRequest,
  LIST_PAGE_SIZE,
  type ListFilter,
  PkgcloudCinderClient,
} from './cinder-client.js';
export {
  type CinderContext,
  type CinderDeps,
  CinderDriver,
  CLUSTER_ID_LABEL,
  DATASET_ID_LABEL,
  DRIVER_NAME,
  GIB,
  MINIMUM_ALLOCATABLE_SIZE,
  VOLUME_NAME_PREFIX,
} from './cinder-driver.js';
export {
  type CinderConfig,
  type CinderConfigInput,
  configSchema,
  DEFAULT_DEVICE_ROOT,
  DEFAULT_METADATA_URL,
  INSTANCE_ID_SOURCES,
  type InstanceIdSource,
} from './config.js';
export { byIdNames } from './device/discovery.js';
export {
  type HttpRequest,
  type HttpResponse,
  type HttpSend,
  sendHttp,
  type TlsOptions,
  TransportError,
} from './http.js';
export { CONFIG_DRIVE_LABEL, discoverInstanceId, hostAddresses } from './instance-id.js';
export { type NovaClient, type NovaServer, PkgcloudNovaClient } from './nova-client.js';
export { OpenStackCallError } from './openstack-error.js';
export { MAX_ATTEMPTS, OpenStackSession, THROTTLED_RETRY_MS } from './openstack-session.js';
export { VolumeStateError, VolumeWaits, type WaitContext } from './volume-waits.js';
