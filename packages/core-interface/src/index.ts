export {
  type AgentConfig,
  type AgentConfigInput,
  agentConfigJsonSchema,
  agentConfigSchema,
  type DatasetConfig,
  DEFAULT_AGENT_CONFIG_PATH,
  DEFAULT_CONTROL_SERVICE_PORT,
  LOG_LEVELS,
  type LogLevel,
} from './config.js';
export {
  BLOCK_DEVICE_API_METHODS,
  type Capabilities,
  type IBlockDeviceAPI,
  type ICloudAPI,
  type IProfiledBlockDeviceAPI,
  type IResizableBlockDeviceAPI,
  isCloudApi,
  isProfiled,
  isResizable,
  MANDATORY_PROFILES,
  type MandatoryProfile,
} from './driver.js';
export {
  AlreadyAttachedError,
  BackendError,
  DatasetExistsError,
  ERROR_CODES,
  type ErrorCode,
  FlockerError,
  hasCode,
  InvalidConfigError,
  InvalidIdError,
  InvalidSizeError,
  PluginLoadError,
  TimeoutError,
  UnattachedVolumeError,
  UnknownInstanceIdError,
  UnknownVolumeError,
} from './errors.js';
export { COMMAND_TIMEOUT_MS, type Exec, type ExecResult, execCommand } from './exec.js';
export { formatIssues, issueMessages } from './issues.js';
export { type LoadResult, loadAgentConfig, parseAgentConfig } from './load-config.js';
export {
  createLogger,
  instrumentApi,
  jsonLinesSink,
  type LogEntry,
  type LogFields,
  type Logger,
  type LoggerOptions,
  type LogSink,
  REDACTED,
  redact,
  secretValues,
  silentLogger,
} from './log.js';
export {
  type BackendContext,
  type BackendDescription,
  BUILTIN_BACKENDS,
  type BuiltinBackendName,
  type CertificationHints,
  type CreateApiOptions,
  createBlockDeviceAPI,
  DEPLOYER_TYPES,
  type DriverContext,
  instantiateBackend,
  type LoadBackendOptions,
  loadBackend,
  type OpenedBackend,
  openBackend,
  parseBackendConfig,
  resolveBackend,
} from './plugin.js';
export {
  allocatedSize,
  assertDatasetId,
  assertVolumeSize,
  checkAllocatableSize,
  isUuid,
} from './validate.js';
export {
  type BlockDeviceVolume,
  blockDeviceVolume,
  compareVolumes,
  sameVolume,
  withAttachedTo,
} from './volume.js';
export { type Clock, type PollResult, systemClock, type WaitOptions, waitFor } from './wait.js';
