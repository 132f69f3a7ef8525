export {
  ACCEPTANCE_NODES,
  type AcceptanceCluster,
  type AcceptanceNode,
  type AcceptanceOptions,
  describeAcceptance,
} from './acceptance.js';
export { attachTests } from './attach.js';
export { CLEANUP_ROUNDS, type CleanupOptions, type CleanupResult, detachDestroyVolumes } from './cleanup.js';
export { cloudApiTests } from './cloud-api.js';
export {
  type ClusterSuiteOptions,
  type ClusterTeardownOptions,
  describeCluster,
  teardownCluster,
} from './cluster.js';
export { createTests } from './create.js';
export { dataTests } from './data.js';
export { describeBlockDeviceAPI } from './describe-block-device-api.js';
export { destroyTests } from './destroy.js';
export { detachTests } from './detach.js';
export { devicePathTests } from './device-path.js';
export { expectCode } from './expect-code.js';
export { cleanupStack, type Harness, trackCreated } from './harness.js';
export { interfaceTests } from './interface.js';
export { listTests } from './list.js';
export {
  AGENT_PACKAGE,
  type ClusterNode,
  clusterSuiteUnavailable,
  datasetSection,
  findBin,
  type LocalCluster,
  type LocalClusterOptions,
  type NodeDatasets,
  startLocalCluster,
} from './local-cluster.js';
export {
  type ApiFactory,
  type ConformanceOptions,
  DEFAULT_MINIMUM_ALLOCATABLE_SIZE,
  type FactoryContext,
  type InspectedVolume,
  type ResolvedOptions,
  resolveOptions,
} from './options.js';
export { deviceNoLongerServes, readDevice, writeDevice } from './os.js';
export { profileTests } from './profiles.js';
export { resizeTests } from './resize.js';
export { type ApiMethods, withMethods } from './with-methods.js';
