// The issue's "Done when", through the built CLI: two loopback agents over one root move a dataset with its
// files from node A to node B and back, with --once and as long-running agents woken by desired-file edits.
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execCommand } from '@flockerjs/core-interface';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  collect,
  eventually,
  MIB,
  makeWorld,
  readChecksum,
  skipUnlessRoot,
  type World,
  writeData,
} from './world.js';

describe.skipIf(skipUnlessRoot)('flocker-dataset-agent on the loopback backend', () => {
  let world: World;
  const datasetId = randomUUID();
  const on = (primary: string) => ({
    datasets: [{ dataset_id: datasetId, primary, maximum_size: 64 * MIB }],
  });

  beforeEach(async () => {
    world = await makeWorld();
  });
  afterEach(async () => {
    await world.cleanup();
  });

  it("--once mounts the dataset on A; after the desired file names B, A then B leave it mounted on B with A's files", async () => {
    await world.setDesired(on('node-a'));
    const first = await world.run('node-a');
    expect(first, first.stderr).toMatchObject({ code: 0 });
    expect(first.stdout).toMatch(/^converged: node node-a/m);
    expect(await world.mounts()).toEqual([world.mountPath('node-a', datasetId)]);
    const sum = await writeData(world.mountPath('node-a', datasetId), 'data.bin', 'written on A');

    await world.setDesired(on('node-b'));
    expect(await world.run('node-a')).toMatchObject({ code: 0 });
    expect(await world.mounts()).toEqual([]);
    expect(await world.run('node-b')).toMatchObject({ code: 0 });
    expect(await world.mounts()).toEqual([world.mountPath('node-b', datasetId)]);
    expect(await readChecksum(world.mountPath('node-b', datasetId), 'data.bin')).toBe(sum);

    await world.setDesired(on('node-a'));
    expect(await world.run('node-b')).toMatchObject({ code: 0 });
    expect(await world.run('node-a')).toMatchObject({ code: 0 });
    expect(await readChecksum(world.mountPath('node-a', datasetId), 'data.bin')).toBe(sum);
    expect((await world.volumes()).map((v) => [v.datasetId, v.attachedTo])).toEqual([[datasetId, 'node-a']]);
    expect(await world.loopDevices()).toHaveLength(1);
  });

  it('two running agents move the dataset when the desired file is edited, and exit 0 on SIGTERM', async () => {
    await world.setDesired(on('node-a'));
    const a = world.start('node-a', { args: [] });
    const b = world.start('node-b', { args: [] });
    const exits = [collect(a), collect(b)];
    await eventually('the dataset to be mounted on A', async () => (await world.mounts()).length === 1);
    const sum = await writeData(world.mountPath('node-a', datasetId), 'data.bin', 'running agents');

    await world.setDesired(on('node-b'));
    await eventually('the dataset to be mounted on B', async () =>
      (await world.mounts()).includes(world.mountPath('node-b', datasetId)),
    );
    expect(await readChecksum(world.mountPath('node-b', datasetId), 'data.bin')).toBe(sum);

    await world.setDesired(on('node-a'));
    await eventually('the dataset to be back on A', async () =>
      (await world.mounts()).includes(world.mountPath('node-a', datasetId)),
    );
    expect(await readChecksum(world.mountPath('node-a', datasetId), 'data.bin')).toBe(sum);

    a.kill('SIGTERM');
    b.kill('SIGTERM');
    const [exitA, exitB] = await Promise.all(exits);
    expect(exitA, exitA?.stderr).toMatchObject({ code: 0, signal: null });
    expect(exitB, exitB?.stderr).toMatchObject({ code: 0, signal: null });
  });

  it('exits 2 on a bad desired file, naming the entry and the key, before touching anything', async () => {
    const cases: [string, RegExp][] = [
      [
        `datasets:\n  - dataset_id: ${datasetId}\n    primary: node-a\n    colour: blue\n`,
        /datasets\[0\]\.colour: unknown key \(dataset_id "/,
      ],
      [
        'datasets:\n  - dataset_id: not-a-uuid\n    primary: node-a\n',
        /datasets\[0\]\.dataset_id: must be a lowercase UUID \(dataset_id "not-a-uuid"\)/,
      ],
      [
        `datasets:\n  - dataset_id: ${datasetId}\n    maximum_size: 1G\n`,
        /datasets\[0\]\.maximum_size: .*number/,
      ],
    ];
    for (const [text, message] of cases) {
      await writeFile(world.desired, text);
      const result = await world.run('node-a');
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(message);
    }
    expect(await world.volumes()).toEqual([]);
  });

  it('--once exits 1 naming the change that failed, and logs every change as an action', async () => {
    await world.setDesired(on('node-a'));
    const mountPath = world.mountPath('node-a', datasetId);
    await mkdir(mountPath, { recursive: true });
    await execCommand('mount', ['-t', 'tmpfs', '--', 'tmpfs', mountPath]);
    const result = await world.run('node-a');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`failed: mount of dataset ${datasetId}: MOUNT_POINT_TAKEN`));
    const entries = (await readFile(join(world.dir, 'node-a.log.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map(
        (line) => JSON.parse(line) as { action_type?: string; action_status?: string; task_level: number[] },
      );
    const actions = (status: string) =>
      entries.filter((e) => e.action_status === status).map((e) => e.action_type);
    expect(actions('succeeded')).toEqual(
      expect.arrayContaining([
        'dataset-agent:create-volume',
        'dataset-agent:attach-volume',
        'dataset-agent:create-filesystem',
        'loopback:createVolume',
      ]),
    );
    expect(actions('failed')).toContain('dataset-agent:mount');
  });

  it('exits 2 on bad usage and on a bad agent.yml, naming the key', async () => {
    const usage = await world.run('node-a', { args: ['--once', '--bogus'] });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/Usage:/);
    await writeFile(
      world.config('node-a'),
      'version: 1\ncontrol-service: {hostname: localhost}\ndataset: {backend: loopback, root_path: relative}\n',
    );
    const config = await world.run('node-a');
    expect(config.code).toBe(2);
    expect(config.stderr).toMatch(/dataset\.root_path: must be an absolute path/);
  });
});
