import { readFile } from 'node:fs/promises';
import { formatIssues, issueMessages } from '@flockerjs/core-interface';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import type { DesiredDataset } from './cluster-link.js';
import { AgentError } from './errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** One dataset of the desired-state file: the fields of Flocker's REST API configuration, snake_case. */
const datasetSchema = z.strictObject({
  dataset_id: z.string().regex(UUID, 'must be a lowercase UUID').describe('The dataset, a lowercase UUID.'),
  primary: z
    .string()
    .min(1)
    .nullable()
    .default(null)
    .describe(
      'The node that should hold it mounted, by the id its agent reports (the compute instance id). Default: none.',
    ),
  maximum_size: z
    .number()
    .int()
    .positive()
    .nullable()
    .default(null)
    .describe('Size in bytes. Default: 75 GiB.'),
  metadata: z
    .record(z.string(), z.string())
    .default({})
    .describe('String pairs; clusterhq:flocker:profile selects a storage profile.'),
  deleted: z.boolean().default(false).describe('Unmount, detach and destroy it on its primary.'),
});

/** The desired-state file of `flocker-dataset-agent --desired FILE`. */
export const desiredFileSchema = z
  .strictObject({
    cluster_id: z
      .string()
      .regex(UUID, 'must be a lowercase UUID')
      .optional()
      .describe("The cluster's UUID, for backends that keep clusters apart (aws, openstack)."),
    datasets: z.array(datasetSchema).default([]).describe('Every dataset of the cluster.'),
  })
  .superRefine((file, context) => {
    const seen = new Set<string>();
    file.datasets.forEach((dataset, index) => {
      if (seen.has(dataset.dataset_id))
        context.addIssue({
          code: 'custom',
          path: ['datasets', index, 'dataset_id'],
          message: 'appears twice',
        });
      seen.add(dataset.dataset_id);
    });
  })
  .describe('Desired state for flocker-dataset-agent --desired.');

export type DesiredFileInput = z.input<typeof desiredFileSchema>;

export interface DesiredFile {
  readonly clusterId?: string;
  readonly datasets: readonly DesiredDataset[];
}

/**
 * Validates desired-state YAML. Each problem names the entry (its index and dataset id) and the key.
 * @throws `INVALID_DESIRED_STATE` listing every problem.
 */
export function parseDesiredFile(text: string, source: string): DesiredFile {
  const document = parseDocument(text, { uniqueKeys: true });
  const fail = (problems: string[]): never => {
    throw new AgentError(
      'INVALID_DESIRED_STATE',
      `invalid desired state in ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  };
  if (document.errors.length > 0)
    fail(document.errors.map((error) => `(yaml): ${error.message.split('\n')[0]}`));
  let data: unknown;
  try {
    data = document.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (error) {
    fail([`(yaml): ${(error as Error).message}`]);
  }
  const parsed = desiredFileSchema.safeParse(data, { error: issueMessages });
  if (!parsed.success) {
    fail(
      formatIssues(parsed.error.issues).map((line, index) => {
        const path = parsed.error.issues[index]?.path ?? [];
        const entry =
          path[0] === 'datasets' && typeof path[1] === 'number' ? datasetIdAt(data, path[1]) : undefined;
        return entry === undefined ? line : `${line} (dataset_id ${entry})`;
      }),
    );
  }
  const file = parsed.data as z.output<typeof desiredFileSchema>;
  return {
    ...(file.cluster_id === undefined ? {} : { clusterId: file.cluster_id }),
    datasets: file.datasets.map((d) => ({
      datasetId: d.dataset_id,
      primary: d.primary,
      maximumSize: d.maximum_size,
      metadata: d.metadata,
      deleted: d.deleted,
    })),
  };
}

function datasetIdAt(data: unknown, index: number): string | undefined {
  const entry = (data as { datasets?: unknown[] } | null)?.datasets?.[index];
  const id = (entry as { dataset_id?: unknown } | null)?.dataset_id;
  return typeof id === 'string' ? JSON.stringify(id) : undefined;
}

/** Reads and validates a desired-state file. @throws `INVALID_DESIRED_STATE`, also for an unreadable file. */
export async function loadDesiredFile(path: string): Promise<DesiredFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new AgentError(
      'INVALID_DESIRED_STATE',
      `cannot read desired state ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      {
        cause: error,
      },
    );
  }
  return parseDesiredFile(text, path);
}
