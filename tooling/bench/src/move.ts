// The agent's move against the driver's own work: from a move request through the REST API to the dataset
// mounted (its data readable) on node B, against the loopback driver's detach from A plus attach on B of a
// volume of the same size, side by side in one run. Real flocker-control and two flocker-dataset-agents.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalCluster, startLocalCluster } from '@flockerjs/conformance';
import { waitFor } from '@flockerjs/core-interface';
import { LoopbackDriver } from '@flockerjs/driver-loopback';
import { median, type Sample } from './figures.js';

const SIZE = 64 * 1024 * 1024;
/** State polls while a move is timed: often, so that the figure is the move's time, not the poll's. */
const POLL_MS = 50;

/** Moves one dataset A -> B -> A -> ... `moves` times, then times the driver doing the same. Needs root. */
export async function moveBench(options: { moves?: number } = {}): Promise<Sample> {
  const moves = options.moves ?? 3;
  const scratch = await mkdtemp(join(tmpdir(), 'flockerjs-bench-move-'));
  try {
    const storage = join(scratch, 'storage');
    const section = (node: string) => ({
      backend: 'loopback',
      root_path: storage,
      compute_instance_id: `bench-${node}`,
    });
    const agentMs: number[] = [];
    const cluster = await startLocalCluster({
      scratchDir: join(scratch, 'cluster'),
      datasets: { a: section('a'), b: section('b') },
      log: () => {},
    });
    try {
      const datasetId = randomUUID();
      const nodes = [cluster.nodes.a.uuid, cluster.nodes.b.uuid];
      await cluster.client.createDataset({
        primary: nodes[0] ?? '',
        dataset_id: datasetId,
        maximum_size: SIZE,
        metadata: {},
      });
      await mountedOn(cluster, datasetId, nodes[0] ?? '');
      for (let move = 1; move <= moves; move += 1) {
        const target = nodes[move % 2] ?? '';
        const started = performance.now();
        await cluster.client.moveDataset(datasetId, target);
        await mountedOn(cluster, datasetId, target);
        agentMs.push(performance.now() - started);
      }
      await cluster.client.deleteDataset(datasetId);
      await cluster.client.waitForDataset(datasetId, { gone: true }, { timeoutMs: 120_000 });
    } finally {
      await cluster.stop();
    }
    const driverMs = await driverMoves(join(scratch, 'driver'), moves);
    const agent = median([...agentMs].sort((a, b) => a - b));
    const driver = median([...driverMs].sort((a, b) => a - b));
    return {
      'move.agent_request_to_mounted_ms': { value: agent, unit: 'ms' },
      'move.driver_detach_attach_ms': { value: driver, unit: 'ms' },
      'move.agent_over_driver': { value: agent / driver, unit: 'ratio' },
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function mountedOn(cluster: LocalCluster, datasetId: string, node: string): Promise<void> {
  await waitFor({
    what: `dataset ${datasetId} to be mounted on ${node}`,
    timeoutMs: 120_000,
    intervalMs: POLL_MS,
    factor: 1,
    poll: async () => {
      const state = (await cluster.client.datasetStates()).find((s) => s.dataset_id === datasetId);
      return state?.primary === node && state.path !== undefined
        ? { done: true, value: undefined }
        : { done: false, state };
    },
  });
}

/** The driver's detach from one node plus attach (and device path) on the other, `moves` times. */
async function driverMoves(root: string, moves: number): Promise<number[]> {
  const [a, b] = await Promise.all(
    ['a', 'b'].map((node) =>
      LoopbackDriver.open({
        root_path: root,
        compute_instance_id: `bench-${node}`,
        allocation_unit: 1024 * 1024,
      }),
    ),
  );
  if (a === undefined || b === undefined) throw new TypeError('no drivers');
  const volume = await a.createVolume(randomUUID(), SIZE);
  const id = volume.blockDeviceId;
  await a.attachVolume(id, await a.computeInstanceId());
  const times: number[] = [];
  try {
    for (let move = 1; move <= moves; move += 1) {
      const [from, to] = move % 2 === 1 ? [a, b] : [b, a];
      const started = performance.now();
      await from.detachVolume(id);
      await to.attachVolume(id, await to.computeInstanceId());
      await to.getDevicePath(id);
      times.push(performance.now() - started);
    }
  } finally {
    await a.detachVolume(id).catch(() => {});
    await a.destroyVolume(id);
  }
  return times;
}
