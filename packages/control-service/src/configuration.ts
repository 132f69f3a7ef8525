import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ControlApiError } from './errors.js';
import {
  type CreateDatasetRequest,
  type DatasetConfig,
  DEFAULT_DATASET_SIZE,
  type Lease,
} from './schemas.js';

/** The format version of the configuration file this code writes and reads. */
export const CONFIGURATION_VERSION = 1;

const storedDatasetSchema = z.strictObject({
  dataset_id: z.string(),
  primary: z.string(),
  deleted: z.boolean(),
  maximum_size: z.int().nullable(),
  metadata: z.record(z.string(), z.string()),
});
export type StoredDataset = z.infer<typeof storedDatasetSchema>;

const storedLeaseSchema = z.strictObject({
  dataset_id: z.string(),
  node_uuid: z.string(),
  /** Epoch milliseconds; null for never. */
  expires_at: z.number().nullable(),
});
export type StoredLease = z.infer<typeof storedLeaseSchema>;

/**
 * The desired configuration, as persisted: what users asked for through the REST API, plus what agents
 * registered (which node ids exist, which volume holds each dataset). Cluster state is not in it.
 */
export const configurationSchema = z.strictObject({
  version: z.literal(CONFIGURATION_VERSION),
  cluster_id: z.string(),
  datasets: z.record(z.string(), storedDatasetSchema),
  leases: z.record(z.string(), storedLeaseSchema),
  /** dataset_id → blockdevice_id; first writer wins, never replaced. */
  ownership: z.record(z.string(), z.string()),
  /** Every node whose agent ever reported: the nodes a dataset may be placed on. */
  nodes: z.array(z.string()),
});
export type Configuration = Readonly<z.infer<typeof configurationSchema>>;

export function emptyConfiguration(clusterId: string): Configuration {
  return {
    version: CONFIGURATION_VERSION,
    cluster_id: clusterId,
    datasets: {},
    leases: {},
    ownership: {},
    nodes: [],
  };
}

/**
 * The `X-Configuration-Tag`: 128 bits of SHA-256 over the canonical JSON of the dataset configuration only, so
 * that lease expiry, agents' registrations and key order never change it (weakness 10 of the original).
 */
export function configurationTag(configuration: Configuration): string {
  const ids = Object.keys(configuration.datasets).sort();
  const canonical = ids.map((id) => {
    const d = configuration.datasets[id] as StoredDataset;
    const metadata = Object.keys(d.metadata)
      .sort()
      .map((key) => [key, d.metadata[key]]);
    return [d.dataset_id, d.primary, d.deleted, d.maximum_size, metadata];
  });
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex').slice(0, 32);
}

/** Throws 412 unless `ifMatches` is absent or one of its values is the current tag. */
export function checkTag(configuration: Configuration, ifMatches: readonly string[] | undefined): void {
  if (ifMatches === undefined) return;
  const current = configurationTag(configuration);
  if (!ifMatches.includes(current)) {
    throw new ControlApiError(
      'TAG_MISMATCH',
      412,
      `Tag doesn't match. Required: ${ifMatches.join(', ')}, current: ${current}`,
    );
  }
}

/** A stored dataset as the REST API shows it: `maximum_size` left out when null. */
export function datasetView(dataset: StoredDataset): DatasetConfig {
  const { maximum_size, ...rest } = dataset;
  return { ...rest, metadata: { ...rest.metadata }, ...(maximum_size === null ? {} : { maximum_size }) };
}

/** The leases in force at `now`, as the REST API shows them (`expires` in seconds left). */
export function activeLeases(configuration: Configuration, now: number): Lease[] {
  return Object.values(configuration.leases)
    .filter((lease) => lease.expires_at === null || lease.expires_at > now)
    .map((lease) => leaseView(lease, now));
}

/** A stored lease as the REST API shows it at `now`. */
export function leaseView(lease: StoredLease, now: number): Lease {
  return {
    dataset_id: lease.dataset_id,
    node_uuid: lease.node_uuid,
    expires: lease.expires_at === null ? null : Math.max(0, lease.expires_at - now) / 1000,
  };
}

/** The earliest future lease expiry, epoch ms, or undefined. */
export function nextLeaseExpiry(configuration: Configuration, now: number): number | undefined {
  const times = Object.values(configuration.leases)
    .map((lease) => lease.expires_at)
    .filter((at): at is number => at !== null && at > now);
  return times.length === 0 ? undefined : Math.min(...times);
}

// --- operations: each returns the new configuration, or throws the refusal the REST API sends ---

/** The parsed body of a create request (UUIDs lowercased by the schema). */
export type CreateDataset = Omit<CreateDatasetRequest, 'maximum_size' | 'metadata'> & {
  readonly maximum_size?: number | null | undefined;
  readonly metadata?: Readonly<Record<string, string>> | undefined;
};

export function createDataset(
  configuration: Configuration,
  request: CreateDataset,
): { configuration: Configuration; dataset: StoredDataset } {
  requireKnownNode(configuration, request.primary, 'primary');
  const datasetId = (request.dataset_id ?? randomUUID()).toLowerCase();
  // Deleted datasets stay in the configuration, so an id is never reused.
  if (configuration.datasets[datasetId] !== undefined) {
    throw new ControlApiError('DATASET_ID_IN_USE', 409, 'The provided dataset_id is already in use.');
  }
  const dataset: StoredDataset = {
    dataset_id: datasetId,
    primary: request.primary,
    deleted: false,
    maximum_size: request.maximum_size ?? null,
    metadata: { ...request.metadata },
  };
  return {
    configuration: { ...configuration, datasets: { ...configuration.datasets, [datasetId]: dataset } },
    dataset,
  };
}

/** Moves a dataset to `primary`; a same-node move changes nothing. */
export function moveDataset(
  configuration: Configuration,
  datasetId: string,
  primary: string | undefined,
  now: number,
): { configuration: Configuration; dataset: StoredDataset } {
  const dataset = requireDataset(configuration, datasetId);
  if (dataset.deleted) throw new ControlApiError('DATASET_DELETED', 405, 'The dataset has been deleted.');
  if (primary === undefined || primary === dataset.primary) return { configuration, dataset };
  requireKnownNode(configuration, primary, 'primary');
  requireUnleased(configuration, datasetId, now, 'moved');
  const moved = { ...dataset, primary };
  return {
    configuration: { ...configuration, datasets: { ...configuration.datasets, [datasetId]: moved } },
    dataset: moved,
  };
}

/**
 * Grows a dataset to `maximumSize` bytes; the same size changes nothing. Refused (409) when that is smaller than
 * its configured size (null counts as the 75 GiB default), and when `canResize(primary)` says the node holding
 * it cannot grow volumes (false; undefined when unknown, e.g. its agent is not reporting, lets the agent decide).
 */
export function resizeDataset(
  configuration: Configuration,
  datasetId: string,
  maximumSize: number | undefined,
  canResize: (nodeUuid: string) => boolean | undefined,
): { configuration: Configuration; dataset: StoredDataset } {
  const dataset = requireDataset(configuration, datasetId);
  if (dataset.deleted) throw new ControlApiError('DATASET_DELETED', 405, 'The dataset has been deleted.');
  if (maximumSize === undefined || maximumSize === dataset.maximum_size) return { configuration, dataset };
  const current = dataset.maximum_size ?? DEFAULT_DATASET_SIZE;
  if (maximumSize < current) {
    throw new ControlApiError(
      'DATASET_SHRINK',
      409,
      `Dataset ${datasetId} cannot shrink: the requested maximum_size ${maximumSize} is smaller than its ` +
        `current ${current} bytes. Datasets only grow.`,
    );
  }
  if (canResize(dataset.primary) === false) {
    throw new ControlApiError(
      'RESIZE_UNSUPPORTED',
      409,
      `Dataset ${datasetId} cannot grow from ${current} to ${maximumSize} bytes: the backend of its primary ` +
        `node ${dataset.primary} does not resize volumes.`,
    );
  }
  const grown = { ...dataset, maximum_size: maximumSize };
  return {
    configuration: { ...configuration, datasets: { ...configuration.datasets, [datasetId]: grown } },
    dataset: grown,
  };
}

/** Marks a dataset deleted (idempotent); it stays in the configuration for ever. */
export function deleteDataset(
  configuration: Configuration,
  datasetId: string,
  now: number,
): { configuration: Configuration; dataset: StoredDataset } {
  const dataset = requireDataset(configuration, datasetId);
  if (dataset.deleted) return { configuration, dataset };
  requireUnleased(configuration, datasetId, now, 'deleted');
  const deleted = { ...dataset, deleted: true };
  return {
    configuration: { ...configuration, datasets: { ...configuration.datasets, [datasetId]: deleted } },
    dataset: deleted,
  };
}

/** Acquires or renews (same node) a lease; `created` tells which. */
export function acquireLease(
  configuration: Configuration,
  request: { dataset_id: string; node_uuid: string; expires: number | null },
  now: number,
): { configuration: Configuration; lease: StoredLease; created: boolean } {
  const dataset = requireDataset(configuration, request.dataset_id);
  if (dataset.deleted) throw new ControlApiError('DATASET_DELETED', 405, 'The dataset has been deleted.');
  requireKnownNode(configuration, request.node_uuid, 'node_uuid');
  const held = activeLease(configuration, request.dataset_id, now);
  if (held !== undefined && held.node_uuid !== request.node_uuid) {
    throw new ControlApiError('LEASE_HELD', 409, 'Lease already held.');
  }
  const lease: StoredLease = {
    dataset_id: request.dataset_id,
    node_uuid: request.node_uuid,
    expires_at: request.expires === null ? null : now + request.expires * 1000,
  };
  const leases = { ...withoutExpiredLeases(configuration.leases, now), [request.dataset_id]: lease };
  return { configuration: { ...configuration, leases }, lease, created: held === undefined };
}

export function releaseLease(
  configuration: Configuration,
  datasetId: string,
  now: number,
): { configuration: Configuration; lease: StoredLease } {
  const lease = activeLease(configuration, datasetId, now);
  if (lease === undefined) throw new ControlApiError('LEASE_NOT_FOUND', 404, 'Lease not found.');
  const { [datasetId]: _released, ...rest } = withoutExpiredLeases(configuration.leases, now);
  return { configuration: { ...configuration, leases: rest }, lease };
}

/** Records that a volume holds a dataset; the first registration wins and is never replaced. */
export function recordOwnership(
  configuration: Configuration,
  datasetId: string,
  blockDeviceId: string,
): Configuration {
  const owner = configuration.ownership[datasetId];
  if (owner === blockDeviceId) return configuration;
  if (owner !== undefined) {
    throw new ControlApiError(
      'ALREADY_OWNED',
      409,
      `Dataset ${datasetId} is already held by volume ${owner}; volume ${blockDeviceId} is left alone.`,
    );
  }
  return { ...configuration, ownership: { ...configuration.ownership, [datasetId]: blockDeviceId } };
}

/** Adds a node to the known nodes (a node is known once its agent reported). */
export function addNode(configuration: Configuration, nodeUuid: string): Configuration {
  if (configuration.nodes.includes(nodeUuid)) return configuration;
  return { ...configuration, nodes: [...configuration.nodes, nodeUuid].sort() };
}

// --- internals ---

function requireDataset(configuration: Configuration, datasetId: string): StoredDataset {
  const dataset = configuration.datasets[datasetId];
  if (dataset === undefined) throw new ControlApiError('DATASET_NOT_FOUND', 404, 'Dataset not found.');
  return dataset;
}

function requireKnownNode(configuration: Configuration, nodeUuid: string, field: string): void {
  if (!configuration.nodes.includes(nodeUuid)) {
    // The original's defined message, which it never raised (FLOC-1278).
    const what = field === 'primary' ? 'primary node' : `${field} node`;
    throw new ControlApiError('UNKNOWN_NODE', 400, `The provided ${what} is not part of the cluster.`);
  }
}

function activeLease(configuration: Configuration, datasetId: string, now: number): StoredLease | undefined {
  const lease = configuration.leases[datasetId];
  return lease !== undefined && (lease.expires_at === null || lease.expires_at > now) ? lease : undefined;
}

function requireUnleased(configuration: Configuration, datasetId: string, now: number, verb: string): void {
  const lease = activeLease(configuration, datasetId, now);
  if (lease === undefined) return;
  const until =
    lease.expires_at === null ? 'without expiry' : `for ${Math.ceil((lease.expires_at - now) / 1000)} s more`;
  throw new ControlApiError(
    'DATASET_LEASED',
    409,
    `The dataset is leased to node ${lease.node_uuid} (${until}); it cannot be ${verb} until the lease is released.`,
  );
}

function withoutExpiredLeases(leases: Configuration['leases'], now: number): Record<string, StoredLease> {
  return Object.fromEntries(
    Object.entries(leases).filter(([, lease]) => lease.expires_at === null || lease.expires_at > now),
  );
}
