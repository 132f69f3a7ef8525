import { randomUUID } from 'node:crypto';
import { mkdtemp, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MINIMUM_DATASET_SIZE } from '@flockerjs/control-service';
import {
  execCommand,
  hasCode,
  type IBlockDeviceAPI,
  isResizable,
  type Logger,
  openBackend,
  silentLogger,
  TimeoutError,
} from '@flockerjs/core-interface';
import { releaseUnder } from '@flockerjs/linux-block';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { verifyFiles, writeFiles } from './acceptance.js';
import { type LocalCluster, type NodeDatasets, STOP_GRACE_MS, startLocalCluster } from './local-cluster.js';

export interface ClusterSuiteOptions {
  /** Title of the suite, usually the backend name. */
  readonly name: string;
  /** The `dataset` sections of node A's and node B's agent.yml: two nodes over one storage. */
  readonly nodes: (scratchDir: string) => Promise<NodeDatasets> | NodeDatasets;
  /**
   * The backend's smallest volume size in bytes (a multiple of its allocation unit). Datasets are the smallest
   * multiple of it that the API accepts (64 MiB at least).
   */
  readonly minimumAllocatableSize: number;
  /** How much file data moves between the nodes. @default 4 MiB */
  readonly dataBytes?: number;
  /** Where each step is logged as an action. */
  readonly logger?: Logger;
  /** When set, every test is reported as skipped with this reason. */
  readonly skip?: string | undefined;
  /** Per-test time limit, and the limit of each wait for the cluster to converge. @default 300000 */
  readonly timeoutMs?: number;
  /**
   * Where the backend package that `nodes` names is installed: the agents run there, and the suite loads the
   * backend from there too. @default this process's working directory
   */
  readonly installDir?: string;
}

/**
 * Registers the `cluster` suite: what Flocker's acceptance tests did, through the control service's REST API,
 * with a real `flocker-control` and one real `flocker-dataset-agent` per node. Datasets are created, written,
 * moved, leased, grown (where the backend declares resize), deleted and moved across an agent restart; every
 * check reads the data through the mount path the cluster state reports.
 */
export function describeCluster(options: ClusterSuiteOptions): void {
  const timeout = options.timeoutMs ?? 300_000;
  const dataBytes = options.dataBytes ?? 4 * 1024 * 1024;
  const logger = options.logger ?? silentLogger;
  const unit = options.minimumAllocatableSize;
  const datasetSize = Math.ceil(MINIMUM_DATASET_SIZE / unit) * unit;
  let cluster: LocalCluster | undefined;
  let scratch: string | undefined;
  const created: string[] = [];

  const test = (
    title: string,
    body: (cluster: LocalCluster, context: TestContext) => Promise<void>,
  ): void => {
    it(title, { timeout }, async (context) => {
      if (options.skip !== undefined) context.skip(options.skip);
      if (cluster === undefined) throw new Error('the cluster did not start (see the first failure)');
      const running = cluster;
      await logger.action('cluster:test', { title }, () => body(running, context));
    });
  };
  const wait = { timeoutMs: timeout };

  async function createOn(c: LocalCluster, node: 'a' | 'b', metadata: Record<string, string> = {}) {
    const datasetId = randomUUID();
    created.push(datasetId);
    await c.client.createDataset({
      primary: c.nodes[node].uuid,
      dataset_id: datasetId,
      maximum_size: datasetSize,
      metadata,
    });
    const state = await c.client.waitForDataset(datasetId, { mountedOn: c.nodes[node].uuid }, wait);
    return { datasetId, path: state?.path ?? '' };
  }

  async function moveTo(c: LocalCluster, datasetId: string, node: 'a' | 'b'): Promise<string> {
    await c.client.moveDataset(datasetId, c.nodes[node].uuid);
    return (await c.client.waitForDataset(datasetId, { mountedOn: c.nodes[node].uuid }, wait))?.path ?? '';
  }

  describe(`${options.name}: cluster`, () => {
    // The start has the suite's limit; a start that fails stops what it started, and the hook's margin lets that
    // finish so that the start's own error is the one reported.
    beforeAll(async () => {
      if (options.skip !== undefined) return;
      scratch = await mkdtemp(join(tmpdir(), 'flockerjs-cluster-'));
      const datasets = await options.nodes(scratch);
      cluster = await logger.action('cluster:start', {}, () =>
        startLocalCluster({
          scratchDir: scratch ?? '',
          datasets,
          log: (line) => logger.message('cluster:step', { line }),
          startTimeoutMs: timeout,
          ...(options.installDir === undefined ? {} : { installDir: options.installDir }),
        }),
      );
    }, timeout + TEARDOWN_MARGIN_MS);

    // Deleting is bounded by the limit of a wait; stopping and releasing get a margin of their own, so the hook
    // never times out with its last steps not run.
    afterAll(
      () => teardownCluster({ cluster, scratchDir: scratch, timeoutMs: timeout, logger }),
      timeout + TEARDOWN_MARGIN_MS,
    );

    test('both agents report their nodes in /v1/state/nodes', async (c) => {
      const uuids = (await c.client.nodes()).map((node) => node.uuid);
      expect(uuids).toEqual(expect.arrayContaining([c.nodes.a.uuid, c.nodes.b.uuid]));
    });

    test('a dataset created on node A is mounted there at the path its state reports', async (c) => {
      const { datasetId, path } = await createOn(c, 'a');
      expect(path, 'state path').toBe(join(c.nodes.a.mountRoot, datasetId));
      const state = (await c.client.datasetStates()).find((s) => s.dataset_id === datasetId);
      expect(state).toMatchObject({ primary: c.nodes.a.uuid, maximum_size: datasetSize });
      await writeFiles(path, 'probe', 4096);
    });

    test('files written on node A are read on node B after a move, and on A after moving back', async (c) => {
      const { datasetId, path } = await createOn(c, 'a');
      const written = await writeFiles(path, 'a', dataBytes);
      const onB = await moveTo(c, datasetId, 'b');
      expect(onB).toBe(join(c.nodes.b.mountRoot, datasetId));
      await verifyFiles(onB, written);
      const more = await writeFiles(onB, 'b', dataBytes / 4);
      const backOnA = await moveTo(c, datasetId, 'a');
      await verifyFiles(backOnA, { ...written, ...more });
    });

    test('a lease held by node A blocks a move until it is released', async (c) => {
      const { datasetId, path } = await createOn(c, 'a');
      const written = await writeFiles(path, 'leased', dataBytes / 4);
      await c.client.acquireLease({ dataset_id: datasetId, node_uuid: c.nodes.a.uuid, expires: null });
      const refused = await c.client.moveDataset(datasetId, c.nodes.b.uuid).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused, 'a move of a leased dataset').toMatchObject({ status: 409 });
      const state = (await c.client.datasetStates()).find((s) => s.dataset_id === datasetId);
      expect(state, 'still mounted on node A').toMatchObject({ primary: c.nodes.a.uuid, path });
      await c.client.releaseLease(datasetId);
      await verifyFiles(await moveTo(c, datasetId, 'b'), written);
    });

    test('a dataset grown through the API, where the backend declares resize, keeps its data', async (c, context) => {
      if (!isResizable(await openNodeApi(c, 'a')))
        return context.skip('the backend does not declare capabilities.resize');
      const { datasetId, path } = await createOn(c, 'a');
      const written = await writeFiles(path, 'grow', dataBytes / 4);
      const before = await filesystemBytes(path);
      const grown = 2 * datasetSize;
      expect(await c.client.resizeDataset(datasetId, grown)).toMatchObject({ maximum_size: grown });
      // The agent unmounts, grows volume and filesystem, and mounts again: wait for both size and mount.
      const state = await c.client.waitForDataset(
        datasetId,
        {
          what: `dataset ${datasetId} to be mounted on node A with ${grown} bytes`,
          test: (s) => s?.primary === c.nodes.a.uuid && s.path !== undefined && s.maximum_size === grown,
        },
        wait,
      );
      const mounted = state?.path ?? '';
      expect(mounted).toBe(path);
      expect(await filesystemBytes(mounted), 'the filesystem at the mount').toBeGreaterThan(before);
      await verifyFiles(mounted, written);
      const shrink = await c.client.resizeDataset(datasetId, datasetSize).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(shrink, 'shrinking').toMatchObject({ status: 409, code: 'DATASET_SHRINK' });
      expect((await c.client.listDatasets()).datasets).toContainEqual(
        expect.objectContaining({ dataset_id: datasetId, maximum_size: grown }),
      );
    });

    test('a growth is refused where the backend does not declare resize, and changes nothing', async (c, context) => {
      if (isResizable(await openNodeApi(c, 'a')))
        return context.skip('the backend declares capabilities.resize: growing is tested above');
      const { datasetId, path } = await createOn(c, 'a');
      const refused = await c.client.resizeDataset(datasetId, 2 * datasetSize).then(
        () => undefined,
        (error: unknown) => error,
      );
      // Node A's agent reported that its backend cannot resize: the control service knows and says so.
      expect(refused, 'growing').toMatchObject({ status: 409, code: 'RESIZE_UNSUPPORTED' });
      expect((await c.client.listDatasets()).datasets).toContainEqual(
        expect.objectContaining({ dataset_id: datasetId, maximum_size: datasetSize }),
      );
      const state = (await c.client.datasetStates()).find((s) => s.dataset_id === datasetId);
      expect(state).toMatchObject({ primary: c.nodes.a.uuid, path, maximum_size: datasetSize });
    });

    test('a deleted dataset leaves the state and its volume leaves the backend', async (c) => {
      const { datasetId } = await createOn(c, 'b');
      const api = await openNodeApi(c, 'b');
      const volumeOf = async () => (await api.listVolumes()).find((v) => v.datasetId === datasetId);
      expect(await volumeOf(), 'the volume behind the dataset').toBeDefined();
      await c.client.deleteDataset(datasetId);
      await c.client.waitForDataset(datasetId, { gone: true }, wait);
      await expect.poll(volumeOf, { timeout, interval: 200 }).toBeUndefined();
    });

    test('an agent killed in the middle of a move is restarted and the move converges with the data', async (c) => {
      const { datasetId, path } = await createOn(c, 'a');
      const written = await writeFiles(path, 'crash', dataBytes / 4);
      await c.client.moveDataset(datasetId, c.nodes.b.uuid);
      await c.nodes.a.restart('SIGKILL');
      const onB = (await c.client.waitForDataset(datasetId, { mountedOn: c.nodes.b.uuid }, wait))?.path ?? '';
      await verifyFiles(onB, written);
      const api = await openNodeApi(c, 'a');
      const volumes = (await api.listVolumes()).filter((v) => v.datasetId === datasetId);
      expect(volumes, 'one volume for the dataset, attached to node B').toHaveLength(1);
    });

    test('a move to a node that is not part of the cluster is refused and changes nothing', async (c) => {
      const { datasetId, path } = await createOn(c, 'a');
      const refused = await c.client.moveDataset(datasetId, randomUUID()).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused).toMatchObject({ status: 400 });
      const state = (await c.client.datasetStates()).find((s) => s.dataset_id === datasetId);
      expect(state).toMatchObject({ primary: c.nodes.a.uuid, path });
    });
  });

  /** The size of the filesystem mounted at `path`, from statfs. */
  async function filesystemBytes(path: string): Promise<number> {
    const stats = await statfs(path);
    return stats.blocks * stats.bsize;
  }

  async function openNodeApi(c: LocalCluster, node: 'a' | 'b'): Promise<IBlockDeviceAPI> {
    try {
      const from =
        options.installDir === undefined ? [] : [pathToFileURL(join(options.installDir, '/')).href];
      return (await openBackend(c.nodes[node].configPath, { clusterId: c.clusterId, alsoFrom: from })).api;
    } catch (error) {
      if (hasCode(error, 'INVALID_CONFIG'))
        throw new Error(`node ${node}'s agent.yml: ${(error as Error).message}`);
      throw error;
    }
  }
}

/**
 * What {@link teardownCluster} takes beyond deleting the datasets, at most: the processes' grace, 30 s for their
 * groups to go after SIGKILL, and the rest for the unmounts and detaches (a settle time and command limits).
 */
const TEARDOWN_MARGIN_MS = STOP_GRACE_MS + 120_000;

export interface ClusterTeardownOptions {
  /** The cluster to take down; undefined when it did not start. */
  readonly cluster: LocalCluster | undefined;
  /** The suite's scratch directory (certificates, loopback root, mount roots); undefined when none was made. */
  readonly scratchDir: string | undefined;
  /** The limit of the first step, deleting the datasets and waiting until they leave the cluster state. */
  readonly timeoutMs: number;
  /** Where each step is logged as a `cluster:teardown` action. */
  readonly logger?: Logger;
}

/**
 * Takes a cluster suite down, every step even when an earlier one fails: deletes the datasets through the API
 * (the agents unmount, detach and destroy them), stops every process the cluster started, unmounts what is still
 * mounted under the scratch directory and detaches the loop devices backed by its files, then removes it. A
 * failed run (a dead control service, a stuck agent) so leaves no process, mount, device or directory behind.
 * @throws AggregateError with one error per failed step, each naming its step, once all steps have run.
 */
export async function teardownCluster(options: ClusterTeardownOptions): Promise<void> {
  const { cluster: c, scratchDir } = options;
  const logger = options.logger ?? silentLogger;
  const failures: Error[] = [];
  const step = async (name: string, fn: () => Promise<void>): Promise<void> => {
    try {
      await logger.action('cluster:teardown', { step: name }, fn);
    } catch (error) {
      failures.push(new Error(`${name}: ${(error as Error).message ?? String(error)}`, { cause: error }));
    }
  };
  if (c !== undefined) {
    // A control service that hangs must not hold the steps after this one: past the limit, it fails and they run
    // (stopping the cluster closes the client, which ends the requests still out).
    const deadline = AbortSignal.timeout(options.timeoutMs);
    await step('delete the datasets', async () => {
      const deleting = (async () => {
        const live = (await c.client.listDatasets()).datasets.filter((d) => !d.deleted);
        for (const lease of await c.client.leases()) await c.client.releaseLease(lease.dataset_id);
        await Promise.all(live.map((d) => c.client.deleteDataset(d.dataset_id)));
        const wait = { timeoutMs: options.timeoutMs, signal: deadline };
        await Promise.all(live.map((d) => c.client.waitForDataset(d.dataset_id, { gone: true }, wait)));
      })();
      const expired = new Promise<never>((_, reject) =>
        deadline.addEventListener('abort', () =>
          reject(new TimeoutError('the datasets to be deleted', options.timeoutMs, undefined)),
        ),
      );
      await Promise.race([deleting, expired]);
    });
    await step('stop the control service and the agents', () => c.stop());
  }
  if (scratchDir !== undefined) {
    await step(`release the mounts and loop devices under ${scratchDir} and remove it`, async () => {
      const errors = await releaseUnder(execCommand, scratchDir, { remove: true });
      if (errors.length > 0) throw new AggregateError(errors, errors.map(String).join('; '));
    });
  }
  if (failures.length > 0)
    throw new AggregateError(
      failures,
      `cluster teardown: ${failures.length} step(s) failed: ${failures.map((f) => f.message).join(' | ')}`,
    );
}
