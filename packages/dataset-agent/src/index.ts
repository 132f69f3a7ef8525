export {
  type AgentOptions,
  BACKOFF_MS,
  type ConvergeResult,
  DatasetAgent,
  type Failure,
  type Faults,
  MAX_ONCE_ROUNDS,
  NOTHING_TO_DO_MS,
  POLL_MS,
  type RoundResult,
} from './agent.js';
export {
  type ClusterConfiguration,
  type ClusterLink,
  DATASET_STATES,
  type DatasetLease,
  type DatasetReport,
  type DatasetState,
  type DesiredDataset,
  type NodeStateReport,
} from './cluster-link.js';
export { ControlLink, type ControlLinkOptions } from './control-link.js';
export {
  type DesiredFile,
  type DesiredFileInput,
  desiredFileSchema,
  loadDesiredFile,
  parseDesiredFile,
} from './desired-file.js';
export { type Discovered, type DiscoveryDeps, discover } from './discovery.js';
export { AGENT_ERROR_CODES, AgentError, type AgentErrorCode } from './errors.js';
export { type ExecutorDeps, execute } from './executors.js';
export { FileLink, type FileLinkOptions } from './file-link.js';
export {
  type Classified,
  classify,
  DEFAULT_DATASET_SIZE,
  type DesiredState,
  type DiscoveredVolume,
  desiredSize,
  desiredStates,
  type ListedVolume,
  type LocalDevice,
  mountPathOf,
  type Plan,
  type PlanInput,
  PROBLEM_CODES,
  PROFILE_METADATA_KEY,
  type Problem,
  type ProblemCode,
  plan,
  type StateChange,
  type StateChangeKind,
  type Wait,
} from './planner.js';
