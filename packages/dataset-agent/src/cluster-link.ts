/**
 * The agent's one view of the cluster: what this node should hold, and where it says what it holds. The file
 * link (`--desired FILE`) implements it from a YAML file; the control service's client implements it over the
 * agent protocol. The agent never learns configuration any other way.
 */

/** A dataset as the cluster's configuration names it: the fields of Flocker's REST API `/v1/configuration/datasets`. */
export interface DesiredDataset {
  /** Lowercase UUID. */
  readonly datasetId: string;
  /**
   * The node that should hold it mounted, by the id of {@link ClusterLink.nodeId}; `null` when no node should
   * (it stays unattached, its data kept).
   */
  readonly primary: string | null;
  /** Size in bytes, or `null` for the agent's default size. A larger size than the volume's grows it where the backend declares resize. */
  readonly maximumSize: number | null;
  /** Free-form string pairs; `clusterhq:flocker:profile` selects a storage profile at creation. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Deleted datasets are unmounted, detached and destroyed by their primary node. */
  readonly deleted: boolean;
}

/** A lease: while this node holds one on a dataset mounted here, the dataset stays mounted here (not moved, not deleted). */
export interface DatasetLease {
  readonly datasetId: string;
  /** When the lease ends, epoch milliseconds; `null` for never. Expired leases protect nothing. */
  readonly expiresAt: number | null;
}

/** Everything the cluster wants from this node in one round. */
export interface ClusterConfiguration {
  /** Every dataset of the cluster, deleted ones included; a dataset not listed is held by nobody (never destroyed). */
  readonly datasets: readonly DesiredDataset[];
  /** The leases held by this node (other nodes' leases protect nothing here). */
  readonly leases: readonly DatasetLease[];
  /**
   * The ownership registry, dataset id to block device id, when the link keeps one: the one volume that holds
   * each registered dataset (first registration wins, other volumes claiming the dataset are left alone).
   * Absent when the link keeps none (the file link): the agent then takes, for each dataset, the volume attached
   * somewhere, else the one with the smallest block device id, and leaves the others alone.
   */
  readonly ownership?: ReadonlyMap<string, string>;
}

/**
 * What discovery found for one dataset on this node: the original's `DatasetStates`, plus two it lacked.
 * `ATTACHED_UNKNOWN_DATA`: attached here, and the device holds a signature that is not a filesystem (a partition
 * table, a RAID member): never formatted, never mounted. `MOUNTED_OTHER_PATH`: attached here and mounted
 * somewhere other than its own mount point: never detached, never mounted a second time.
 */
export const DATASET_STATES = [
  'NON_EXISTENT',
  'UNREGISTERED',
  'REGISTERED',
  'NON_MANIFEST',
  'ATTACHED_NO_FILESYSTEM',
  'ATTACHED',
  'MOUNTED',
  'ATTACHED_ELSEWHERE',
  'ATTACHED_TO_DEAD_NODE',
  // Ours, not the original's: states the agent leaves alone, reported with an error.
  'ATTACHED_UNKNOWN_DATA',
  'MOUNTED_OTHER_PATH',
] as const;
export type DatasetState = (typeof DATASET_STATES)[number];

/** One dataset as this node reports it. */
export interface DatasetReport {
  readonly datasetId: string;
  readonly state: DatasetState;
  /** The volume holding it, when there is one. */
  readonly blockDeviceId: string | null;
  /** The block device on this node, when attached here. */
  readonly devicePath: string | null;
  /** Where it is mounted, when MOUNTED (always `<mount-root>/<dataset_id>`). */
  readonly mountPath: string | null;
  /** The volume's size in bytes, when there is a volume. */
  readonly size: number | null;
  /** Why the agent leaves it alone, when it does (a device holding an unknown signature, a foreign mount). */
  readonly error?: { readonly code: string; readonly message: string };
}

/** What this node holds, after one discovery. */
export interface NodeStateReport {
  /** {@link ClusterLink.nodeId}. */
  readonly nodeId: string;
  /** The backend's compute instance id of this node (`attachedTo` of its volumes). */
  readonly instanceId: string;
  /** The datasets whose volumes are attached here, or that this node should hold. */
  readonly datasets: readonly DatasetReport[];
  /** Whether this node's backend grows volumes (`capabilities.resize`). */
  readonly canResize?: boolean;
}

/**
 * Where the agent learns what to hold and reports what it holds. Implementations: the file link of
 * `--desired FILE`, and the control service's client.
 */
export interface ClusterLink {
  /**
   * The id by which {@link DesiredDataset.primary} names this node: the compute instance id in file mode, the
   * node UUID of the node certificate with the control service.
   */
  readonly nodeId: string;
  /** The cluster's UUID, when the link knows it (backends that keep clusters apart need it). */
  readonly clusterId?: string;
  /**
   * The current configuration. A rejection fails the round (retried after backoff); it never means "hold nothing".
   */
  configuration(): Promise<ClusterConfiguration>;
  /**
   * Resolves when the configuration may have changed since the last {@link configuration} call (or at once if it
   * already did), so that a sleeping agent wakes up. Resolves, never rejects, when `signal` aborts.
   */
  changed(signal: AbortSignal): Promise<void>;
  /** Reports this node's state after a discovery. A rejection is logged; the round goes on. */
  report(state: NodeStateReport): Promise<void>;
  /**
   * Records that `blockDeviceId` holds `datasetId`, first writer wins, and returns the block device id that now
   * owns the dataset (another one when someone registered first). Present only on links that keep
   * {@link ClusterConfiguration.ownership}.
   */
  registerVolume?(datasetId: string, blockDeviceId: string): Promise<string>;
  /** Stops watching and releases what the link holds. */
  close(): Promise<void>;
}
