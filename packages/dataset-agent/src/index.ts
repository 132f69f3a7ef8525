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
