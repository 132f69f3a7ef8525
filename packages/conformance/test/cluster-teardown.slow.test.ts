// The cluster suite's teardown when an early step fails, on a real control service, real agents, loop devices
// and mounts (root only): as in a failed run that once leaked the control service and 4 loop devices.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execCommand } from '@flockerjs/core-interface';
import { listLoopDevices, readMountInfo, releaseUnder } from '@flockerjs/linux-block';
import { describe, expect, it } from 'vitest';
import { teardownCluster } from '../src/cluster.js';
import { clusterSuiteUnavailable, type LocalCluster, startLocalCluster } from '../src/local-cluster.js';

const MiB = 1024 * 1024;
const skip = process.getuid?.() === 0 ? clusterSuiteUnavailable() : 'loop devices and mounts need root';

/** Whether any process of the group led by `pid` (each cluster process leads its own) is still there. */
function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

const mountsUnder = async (dir: string): Promise<string[]> =>
  (await readMountInfo()).map((m) => m.mountPoint).filter((point) => point.startsWith(`${dir}/`));
const devicesUnder = async (dir: string): Promise<string[]> =>
  (await listLoopDevices(execCommand))
    .filter((d) => d.backingFile.startsWith(`${dir}/`))
    .map((d) => d.device);

describe.skipIf(skip)('teardownCluster', () => {
  it('with the control service and an agent frozen, still stops every process, frees mounts and loop devices, removes the scratch directory, and reports the failed step', async () => {
    const scratchDir = await mkdtemp(join(tmpdir(), 'flockerjs-teardown-'));
    const loopback = (node: string) => ({
      backend: 'loopback',
      root_path: join(scratchDir, 'loopback'),
      compute_instance_id: node,
    });
    let cluster: LocalCluster | undefined;
    try {
      cluster = await startLocalCluster({
        scratchDir,
        datasets: { a: loopback('node-a'), b: loopback('node-b') },
        log: () => {},
        // The processes frozen below never exit on SIGTERM: their grace runs out whatever the machine's load.
        stopGraceMs: 2000,
      });
      const datasetId = randomUUID();
      await cluster.client.createDataset({
        primary: cluster.nodes.a.uuid,
        dataset_id: datasetId,
        maximum_size: 64 * MiB,
        metadata: {},
      });
      const state = await cluster.client.waitForDataset(
        datasetId,
        { mountedOn: cluster.nodes.a.uuid },
        { timeoutMs: 240_000 },
      );
      expect(await mountsUnder(scratchDir)).toEqual([state?.path]);
      expect(await devicesUnder(scratchDir), "the dataset's loop device").toHaveLength(1);
      const processes = cluster.processes();
      expect(processes.map((p) => p.name).sort()).toEqual(['agent a', 'agent b', 'control']);
      const pidOf = (name: string): number => processes.find((p) => p.name === name)?.pid ?? 0;
      // A hung control service and a stuck agent: frozen, they answer nothing and act on no SIGTERM until a
      // SIGCONT that never comes, so only the deadline of the first step and a SIGKILL of their groups end them.
      process.kill(pidOf('control'), 'SIGSTOP');
      process.kill(pidOf('agent b'), 'SIGSTOP');

      // The first step, deleting the datasets through the API, fails: the steps after it must run all the same.
      const error = await teardownCluster({ cluster, scratchDir, timeoutMs: 5000 }).then(
        () => undefined,
        (failure: unknown) => failure,
      );
      expect(error).toBeInstanceOf(AggregateError);
      const steps = (error as AggregateError).errors as Error[];
      expect(steps.map((step) => step.message)).toEqual([expect.stringMatching(/^delete the datasets: /)]);
      expect(steps[0]?.cause).toMatchObject({ code: 'TIMEOUT' });
      expect(
        processes.filter((p) => groupAlive(p.pid)),
        'processes (or their children) still running',
      ).toEqual([]);
      expect(await mountsUnder(scratchDir)).toEqual([]);
      expect(await devicesUnder(scratchDir)).toEqual([]);
      expect(existsSync(scratchDir), 'the scratch directory').toBe(false);
    } finally {
      // Whatever the teardown under test left behind goes here, so this test leaks nothing even when it fails.
      await cluster?.stop().catch(() => {});
      if (existsSync(scratchDir)) await releaseUnder(execCommand, scratchDir);
      await rm(scratchDir, { recursive: true, force: true });
    }
  });
});
