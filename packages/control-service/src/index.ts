export { ClusterState, DEFAULT_NODE_EXPIRY_MS } from './cluster-state.js';
export {
  CONFIGURATION_VERSION,
  type Configuration,
  configurationSchema,
  configurationTag,
  emptyConfiguration,
} from './configuration.js';
export {
  ControlClient,
  type ControlClientOptions,
  type DatasetCondition,
} from './control-client.js';
export {
  ControlService,
  type ControlServiceOptions,
  DEFAULT_WATCH_WAIT_MS,
  type NodeReport,
} from './control-service.js';
export { CONTROL_ERROR_CODES, ControlApiError, type ControlErrorCode } from './errors.js';
export {
  LATENCY_BUCKETS_SECONDS,
  type ListenAddress,
  type MetricsEndpoint,
  parseListenAddress,
  type RequestSample,
  startMetricsEndpoint,
} from './metrics-endpoint.js';
export { DEFAULT_AGENT_PORT, DEFAULT_API_PORT } from './ports.js';
export { openApiDocument, type PeerIdentity, ROUTES, type Route, type RouteAudience } from './routes.js';
export {
  type AcquireLeaseRequest,
  type ClusterUpdate,
  type CreateDatasetRequest,
  type DatasetConfig,
  type DatasetState,
  DEFAULT_DATASET_SIZE,
  type Lease,
  MINIMUM_DATASET_SIZE,
  type NodeState,
  type NodeStateReport,
  type NodeSummary,
  type ReportedDataset,
  type UpdateDatasetRequest,
} from './schemas.js';
export { type ControlServerOptions, type RunningControlServer, startControlServer } from './server.js';
export {
  CONFIGURATION_FILE,
  ConfigurationFileError,
  type ConfigurationStore,
  FileConfigurationStore,
  memoryStore,
  parseConfigurationFile,
} from './store.js';
