import { randomUUID } from 'node:crypto';
import type { BackendDescription } from '@flockerjs/core-interface';
import { __DriverName__Driver, DRIVER_NAME, MINIMUM_ALLOCATABLE_SIZE } from './__driver_name__-driver.js';
import { type __DriverName__Config, configSchema } from './config.js';

/** The plugin object agent.yml's `backend: '@flockerjs/driver-__driver_name__'` loads. */
export const FLOCKER_BACKEND = {
  name: DRIVER_NAME,
  // Volumes are told apart by cluster in a storage system several clusters share.
  needsClusterId: true,
  configSchema,
  deployerType: 'block',
  apiFactory: (config, context) => __DriverName__Driver.open(config, context),
  // How flocker-certify runs the suites from an agent.yml. TODO(driver-author): add `node(config, 'a' | 'b')`,
  // two nodes over the same storage, so that the acceptance run moves data between them instead of skipping.
  certification: {
    minimumAllocatableSize: MINIMUM_ALLOCATABLE_SIZE,
    unknownBlockDeviceId: () => `vol-${randomUUID()}`,
  },
} satisfies BackendDescription<__DriverName__Config>;

export default FLOCKER_BACKEND;

export type { Exec, ExecResult } from '@flockerjs/core-interface';
export type { __DriverName__Client, CreateVolumeRequest, RemoteVolume } from './__driver_name__-client.js';
export {
  type __DriverName__Context,
  __DriverName__Driver,
  type __DriverName__Settings,
  CLUSTER_ID_KEY,
  DATASET_ID_KEY,
  DEVICE_TIMEOUT_MS,
  DRIVER_NAME,
  MINIMUM_ALLOCATABLE_SIZE,
} from './__driver_name__-driver.js';
export {
  type __DriverName__Config,
  type __DriverName__ConfigInput,
  configSchema,
  DEFAULT_ALLOCATION_UNIT,
  DEFAULT_BACKING_DIR,
  INSTANCE_ID_PATTERN,
} from './config.js';
export { InMemoryStorage, type InMemoryStorageOptions, ROOT_REQUIRED } from './in-memory-storage.js';
