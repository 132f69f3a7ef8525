import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { BackendDescription } from '@flockerjs/core-interface';
import { configSchema, type LoopbackConfig } from './config.js';
import { DRIVER_NAME, LoopbackDriver, MINIMUM_ALLOCATABLE_SIZE } from './loopback-driver.js';

/** The plugin object agent.yml's `backend: loopback` loads. */
export const FLOCKER_BACKEND = {
  name: DRIVER_NAME,
  needsClusterId: false,
  configSchema,
  deployerType: 'block',
  apiFactory: (config, context) => LoopbackDriver.open(config, context),
  certification: {
    minimumAllocatableSize: MINIMUM_ALLOCATABLE_SIZE,
    unknownBlockDeviceId: () => `block-${randomUUID()}`,
    // Each test gets a root of its own; nodes share one root under different instance ids.
    isolate: (config, scratchDir) => ({ ...config, root_path: join(scratchDir, 'loopback-root') }),
    node: (config, node) => ({
      ...config,
      compute_instance_id: `${config.compute_instance_id ?? 'node'}-${node}`,
    }),
  },
} satisfies BackendDescription<LoopbackConfig>;

export default FLOCKER_BACKEND;

export type { Exec, ExecResult } from '@flockerjs/core-interface';
export {
  configSchema,
  DEFAULT_ALLOCATION_UNIT,
  DEFAULT_ROOT_PATH,
  type LoopbackConfig,
  type LoopbackConfigInput,
  NODE_ID_PATTERN,
} from './config.js';
export {
  DRIVER_NAME,
  type LoopbackContext,
  LoopbackDriver,
  MINIMUM_ALLOCATABLE_SIZE,
  ROOT_REQUIRED,
} from './loopback-driver.js';
