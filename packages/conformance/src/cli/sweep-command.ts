import { resolve } from 'node:path';
import { isUuid } from '@flockerjs/core-interface';
import { loadTarget, TEST_CLUSTER_MARKER } from '../certification/target.js';
import { detachDestroyVolumes } from '../cleanup.js';
import { configError, UsageError } from './usage-error.js';

export interface SweepOptions {
  readonly config: string;
  readonly clusterId?: string | undefined;
  readonly dryRun: boolean;
  readonly force: boolean;
}

/**
 * Lists, then detaches and destroys, the volumes a test run left in its cluster. Only a test cluster is swept
 * unless forced: a backend's clusters are the operator's data.
 */
export async function sweep(options: SweepOptions): Promise<number> {
  const target = await loadTarget(resolve(options.config), import.meta.url).catch((error: Error) => {
    throw configError(error.message);
  });
  const { clusterId } = options;
  const { backend } = target.agent;
  if (backend.needsClusterId) {
    if (clusterId === undefined || !isUuid(clusterId)) {
      throw new UsageError(
        `--cluster-id: backend ${backend.name} keeps clusters apart by id; name the test run's cluster (report.json "clusterId")`,
      );
    }
    if (!clusterId.endsWith(TEST_CLUSTER_MARKER) && !options.force) {
      throw new UsageError(
        `--cluster-id: ${clusterId} is not a test cluster's id; add --force to sweep it anyway`,
      );
    }
  } else if (!options.force) {
    throw configError(
      `backend ${backend.name} has no cluster ids, so every volume it lists would be swept; add --force if that is what you want`,
    );
  }
  const api = await target.open(clusterId === undefined ? {} : { clusterId });
  const volumes = await api.listVolumes();
  const where = clusterId === undefined ? `backend ${backend.name}` : `cluster ${clusterId}`;
  process.stdout.write(`${volumes.length} volume(s) in ${where}\n`);
  for (const volume of volumes) {
    const state = volume.attachedTo === null ? 'unattached' : `attached to ${volume.attachedTo}`;
    process.stdout.write(
      `  ${volume.blockDeviceId}  dataset ${volume.datasetId}  ${volume.size} bytes  ${state}\n`,
    );
  }
  if (options.dryRun || volumes.length === 0) {
    if (options.dryRun) process.stdout.write('dry run: nothing was changed\n');
    return 0;
  }
  const { remaining, errors } = await detachDestroyVolumes(api, { intervalMs: 1000 });
  process.stdout.write(`removed ${volumes.length - remaining.length} volume(s)\n`);
  for (const error of errors) process.stdout.write(`  error: ${(error as Error).message ?? String(error)}\n`);
  if (remaining.length > 0) {
    process.stdout.write(`left: ${remaining.map((volume) => volume.blockDeviceId).join(', ')}\n`);
    return 1;
  }
  return 0;
}
