import { z } from 'zod';

// The REST API's request and response shapes, as Flocker's `types.yml` and `endpoints.yml` defined them, plus the
// agent protocol. These schemas validate every request, shape every response and generate the OpenAPI document.

/** Flocker's UUID rule: 36 characters, version nibble 4, variant 8/9/a/b. Stored lowercased. */
const UUID_V4 = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$/;

/** The smallest `maximum_size` the API accepts: 64 MiB, as the original's schema. */
export const MINIMUM_DATASET_SIZE = 64 * 1024 * 1024;

/** At most this many metadata entries per dataset, as the original's schema. */
export const MAXIMUM_METADATA_ENTRIES = 16;

export const uuidSchema = z
  .string()
  .regex(UUID_V4, 'must be a version 4 UUID (36 characters, version nibble 4, variant 8, 9, a or b)')
  .overwrite((value) => value.toLowerCase());

/**
 * The size of a dataset whose `maximum_size` is null: 75 GiB, as the original agent (FLOC-2679; its API docs
 * wrongly say 100 GiB).
 */
export const DEFAULT_DATASET_SIZE = 75 * 1024 * 1024 * 1024;

const datasetSizeSchema = z.int().min(MINIMUM_DATASET_SIZE).multipleOf(1024);

export const maximumSizeSchema = datasetSizeSchema
  .nullable()
  .describe('Size in bytes: at least 64 MiB and a multiple of 1024; null for the backend default.');

export const metadataSchema = z
  .record(z.string().min(1).max(256), z.string().max(256))
  .refine(
    (metadata) => Object.keys(metadata).length <= MAXIMUM_METADATA_ENTRIES,
    `at most ${MAXIMUM_METADATA_ENTRIES} entries`,
  )
  .describe('Free-form string pairs: at most 16, keys 1-256 characters, values at most 256.');

// --- REST API ---

export const versionSchema = z.object({ flocker: z.string() });

export const datasetConfigSchema = z.object({
  dataset_id: z.string(),
  primary: z.string().describe('UUID of the node that should hold the dataset mounted.'),
  deleted: z.boolean(),
  metadata: z.record(z.string(), z.string()),
  maximum_size: z.int().optional().describe('Left out when the size is the backend default.'),
});
export type DatasetConfig = z.infer<typeof datasetConfigSchema>;

export const createDatasetSchema = z.strictObject({
  primary: uuidSchema.describe(
    'UUID of the node that should hold the dataset; its agent must have reported.',
  ),
  dataset_id: uuidSchema.optional().describe('Defaults to a fresh UUID. Never reusable, even after delete.'),
  maximum_size: maximumSizeSchema.optional(),
  metadata: metadataSchema.optional(),
});
export type CreateDatasetRequest = z.input<typeof createDatasetSchema>;

export const updateDatasetSchema = z.strictObject({
  primary: uuidSchema.optional().describe('Moves the dataset to this node.'),
  maximum_size: datasetSizeSchema
    .optional()
    .describe(
      'Grows the dataset to this size in bytes (at least 64 MiB, a multiple of 1024; a dataset created ' +
        'without a size counts as 75 GiB). ' +
        "Never smaller than the current size, and only where the primary node's backend can resize. " +
        'The agent unmounts the dataset to grow it, so a lease delays the growth until it is released.',
    ),
});
export type UpdateDatasetRequest = z.input<typeof updateDatasetSchema>;

export const datasetStateSchema = z.object({
  dataset_id: z.string(),
  maximum_size: z.int().optional().describe('The real size of the volume.'),
  primary: z.string().optional().describe('The node it is mounted on; absent when mounted nowhere.'),
  path: z.string().optional().describe('Where it is mounted on `primary`.'),
});
export type DatasetState = z.infer<typeof datasetStateSchema>;

export const nodeSchema = z.object({ host: z.string(), uuid: z.string() });
export type NodeSummary = z.infer<typeof nodeSchema>;

export const eraNodeSchema = z.object({ uuid: z.string() });

export const leaseSchema = z.object({
  dataset_id: z.string(),
  node_uuid: z.string(),
  expires: z.number().nullable().describe('Seconds left, at the time of the response; null for never.'),
});
export type Lease = z.infer<typeof leaseSchema>;

export const acquireLeaseSchema = z.strictObject({
  dataset_id: uuidSchema,
  node_uuid: uuidSchema,
  expires: z.number().positive().nullable().describe('Seconds from now; null for a lease without expiry.'),
});
export type AcquireLeaseRequest = z.input<typeof acquireLeaseSchema>;

export const errorSchema = z.object({
  description: z.string(),
  code: z.string().optional().describe('Stable error code (an addition to the original API).'),
  errors: z.array(z.string()).optional().describe('Each validation problem, as `key: message`.'),
});
export type ErrorBody = z.infer<typeof errorSchema>;

export const datasetIdParamsSchema = z.strictObject({ dataset_id: uuidSchema });
export const eraParamsSchema = z.strictObject({ era: uuidSchema });

// --- agent protocol ---

export const reportedDatasetSchema = z.strictObject({
  dataset_id: uuidSchema,
  blockdevice_id: z.string().min(1).optional().describe("The backend's id of the volume holding it."),
  maximum_size: z.int().positive().nullable().describe('The real size of the volume, in bytes.'),
  path: z
    .string()
    .startsWith('/')
    .optional()
    .describe('Where it is mounted on this node; absent when it is not mounted here.'),
});
export type ReportedDataset = z.infer<typeof reportedDatasetSchema>;

export const nodeStateReportSchema = z.strictObject({
  node_uuid: uuidSchema
    .optional()
    .describe(
      "The reporting node. Under TLS it comes from the node's certificate and must match it if given.",
    ),
  instance_id: z.string().min(1).describe("The node's compute instance id, as its backend names it."),
  era: uuidSchema.optional().describe("The node's boot id, for /v1/state/nodes/by_era."),
  host: z.string().min(1).optional().describe("The node's address; defaults to the report's source address."),
  can_resize: z
    .boolean()
    .optional()
    .describe("Whether this node's backend grows volumes; a dataset held here is not grown when false."),
  datasets: z
    .array(reportedDatasetSchema)
    .describe('Every dataset volume this node sees: mounted here (with `path`), or not mounted here.'),
});
export type NodeStateReport = z.input<typeof nodeStateReportSchema>;

export const ownershipSchema = z.strictObject({
  node_uuid: uuidSchema.optional().describe('As in a state report.'),
  dataset_id: uuidSchema,
  blockdevice_id: z.string().min(1),
});
export type OwnershipRequest = z.input<typeof ownershipSchema>;

export const ownershipResultSchema = z.object({ dataset_id: z.string(), blockdevice_id: z.string() });

export const watchQuerySchema = z.strictObject({
  node_uuid: uuidSchema.optional().describe('As in a state report.'),
  since: z.string().optional().describe('The `version` last received; the answer waits until it changes.'),
  wait_ms: z.coerce
    .number()
    .int()
    .min(0)
    .max(120_000)
    .optional()
    .describe('How long to wait for a change, in ms (default 30000); then the unchanged update is returned.'),
});

export const nodeStateSchema = z.object({
  uuid: z.string(),
  host: z.string(),
  instance_id: z.string(),
  era: z.string().optional(),
  can_resize: z.boolean().optional(),
  datasets: z.array(
    z.object({
      dataset_id: z.string(),
      blockdevice_id: z.string().optional(),
      maximum_size: z.int().nullable(),
      path: z.string().optional(),
    }),
  ),
});
export type NodeState = z.infer<typeof nodeStateSchema>;

export const clusterUpdateSchema = z.object({
  version: z.string().describe('Changes whenever anything below changes; pass it back as `since`.'),
  cluster_id: z.string(),
  node_uuid: z.string().describe('The node this update was made for.'),
  datasets: z.array(datasetConfigSchema).describe('The whole dataset configuration, deleted ones included.'),
  leases: z.array(leaseSchema),
  ownership: z.record(z.string(), z.string()).describe('dataset_id → blockdevice_id, first writer wins.'),
  nodes: z.array(nodeStateSchema).describe('The state of every node whose agent is reporting.'),
});
export type ClusterUpdate = z.infer<typeof clusterUpdateSchema>;
