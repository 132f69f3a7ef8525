import type { BackendDescription } from '@flockerjs/core-interface';
import { configSchema, type LoopbackConfig } from './config.js';
import { DRIVER_NAME, LoopbackDriver } from './loopback-driver.js';

/** The plugin object agent.yml's `backend: loopback` loads. */
export const FLOCKER_BACKEND = {
  name: DRIVER_NAME,
  needsClusterId: false,
  configSchema,
  deployerType: 'block',
  apiFactory: (config, { logger }) => LoopbackDriver.open(config, { logger }),
} satisfies BackendDescription<LoopbackConfig>;

export default FLOCKER_BACKEND;

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
  type LoopbackDeps,
  LoopbackDriver,
  MINIMUM_ALLOCATABLE_SIZE,
  ROOT_REQUIRED,
} from './loopback-driver.js';
export type { Exec, ExecResult } from './os/exec.js';
