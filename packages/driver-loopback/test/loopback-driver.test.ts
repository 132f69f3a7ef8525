import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readDevice, writeDevice } from '@flockerjs/conformance';
import { type Exec, execCommand, hasCode, openBackend, parseBackendConfig } from '@flockerjs/core-interface';
import { detachLoopDevice, listLoopDevices } from '@flockerjs/linux-block';
import { afterAll, describe, expect, it } from 'vitest';
import {
  configSchema,
  FLOCKER_BACKEND,
  LoopbackDriver,
  MINIMUM_ALLOCATABLE_SIZE,
  ROOT_REQUIRED,
} from '../src/index.js';
import { makeTestRoots } from './loopback-fixtures.js';

const run = promisify(execFile);
const roots = makeTestRoots();
afterAll(roots.removeAll);
const isRoot = process.getuid?.() === 0;
const SIZE = MINIMUM_ALLOCATABLE_SIZE;

/** losetup on a host without loop devices: it lists none, and a test that would attach one fails. */
const noLoopDevices: Exec = async (file, args) => {
  if (file === 'losetup' && args.includes('--list')) return { stdout: '', stderr: '' };
  throw new Error(`this test needs no loop device, yet ran ${file} ${args.join(' ')}`);
};

/**
 * A root shared by two nodes, and cleanup of everything they leave, even when the test fails. With `exec`,
 * the drivers run that instead of the real losetup (and need no root).
 */
async function twoNodes(onTestFinished: (fn: () => Promise<void>) => void, exec?: Exec) {
  const cleanups: (() => Promise<void>)[] = [];
  onTestFinished(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  const root = await roots.make((fn) => cleanups.push(fn));
  const open = (node: string) =>
    LoopbackDriver.open(
      configSchema.parse({ root_path: root, compute_instance_id: node }),
      exec === undefined ? {} : { exec },
    );
  return { root, a: await open('node-a'), b: await open('node-b') };
}

describe.skipIf(!isRoot)('loopback driver on real loop devices', () => {
  it('moves a volume with its data from node A to node B sharing one root', async ({ onTestFinished }) => {
    const { a, b } = await twoNodes(onTestFinished);
    const volume = await a.createVolume(randomUUID(), SIZE);
    await a.attachVolume(volume.blockDeviceId, 'node-a');
    const data = randomBytes(256 * 1024);
    await writeDevice(await a.getDevicePath(volume.blockDeviceId), 4096, data);
    await a.detachVolume(volume.blockDeviceId);

    expect(await b.attachVolume(volume.blockDeviceId, 'node-b')).toEqual({ ...volume, attachedTo: 'node-b' });
    const device = await b.getDevicePath(volume.blockDeviceId);
    expect((await readDevice(device, 4096, data.length)).equals(data)).toBe(true);
    // Node A sees the attachment, and is told where the volume is rather than given B's device.
    expect(await a.listVolumes()).toEqual([{ ...volume, attachedTo: 'node-b' }]);
    await expect(a.getDevicePath(volume.blockDeviceId)).rejects.toMatchObject({
      code: 'UNATTACHED',
      message: expect.stringContaining('attached to node "node-b"'),
    });
    await expect(a.attachVolume(volume.blockDeviceId, 'node-a')).rejects.toMatchObject({
      code: 'ALREADY_ATTACHED',
      attachedTo: 'node-b',
    });
    await b.detachVolume(volume.blockDeviceId);
    await b.destroyVolume(volume.blockDeviceId);
  });

  it('finds the volumes a node had attached after a restart, and re-creates a device lost in a reboot', async ({
    onTestFinished,
  }) => {
    const { root, a } = await twoNodes(onTestFinished);
    const volume = await a.createVolume(randomUUID(), SIZE);
    await a.attachVolume(volume.blockDeviceId, 'node-a');
    const data = randomBytes(4096);
    const before = await a.getDevicePath(volume.blockDeviceId);
    await writeDevice(before, 0, data);
    // A reboot loses every loop device; the files stay. A detach of a device some reader still holds only
    // schedules it, so the "reboot" is over once no device serves the file any more.
    const backingId = (await listLoopDevices(execCommand)).find(
      (device) => device.device === before,
    )?.backingId;
    expect(backingId, `the loop device ${before} serving the volume`).toBeDefined();
    await detachLoopDevice(execCommand, before);
    await expect
      .poll(
        async () => (await listLoopDevices(execCommand)).some((device) => device.backingId === backingId),
        {
          timeout: 120_000,
          interval: 100,
        },
      )
      .toBe(false);

    const restarted = await LoopbackDriver.open(
      configSchema.parse({ root_path: root, compute_instance_id: 'node-a' }),
    );
    expect(await restarted.listVolumes()).toEqual([{ ...volume, attachedTo: 'node-a' }]);
    const after = await restarted.getDevicePath(volume.blockDeviceId);
    expect((await readDevice(after, 0, data.length)).equals(data)).toBe(true);
    expect(await restarted.getDevicePath(volume.blockDeviceId)).toBe(after);
    await restarted.detachVolume(volume.blockDeviceId);
    await restarted.destroyVolume(volume.blockDeviceId);
  });

  it('refuses to detach a mounted volume and leaves it attached and usable', async ({ onTestFinished }) => {
    const { a } = await twoNodes(onTestFinished);
    const volume = await a.createVolume(randomUUID(), SIZE);
    await a.attachVolume(volume.blockDeviceId, 'node-a');
    const device = await a.getDevicePath(volume.blockDeviceId);
    await run('mkfs.ext4', ['-q', '-F', device]);
    const mountpoint = await mkdtemp(join(roots.parent, 'mnt-'));
    await run('mount', [device, mountpoint]);
    try {
      await writeFile(join(mountpoint, 'hello.txt'), 'hello');
      await expect(a.detachVolume(volume.blockDeviceId)).rejects.toMatchObject({
        code: 'BACKEND',
        message: expect.stringContaining(`(mounted at ${mountpoint}) still in use`),
      });
      expect(await a.listVolumes()).toEqual([{ ...volume, attachedTo: 'node-a' }]);
      expect(await readFile(join(mountpoint, 'hello.txt'), 'utf8')).toBe('hello');
    } finally {
      await run('umount', [mountpoint]);
    }
    // Once unmounted it detaches. (What held devices after an unmount here was a run as nobody's mount namespace,
    // see nobody-namespace.test.ts; the detach names any such holder.)
    await a.detachVolume(volume.blockDeviceId);
    expect(await a.listVolumes()).toEqual([volume]);
    await a.destroyVolume(volume.blockDeviceId);
  });

  it('loads as `backend: loopback` from an agent.yml and logs each call', async ({ onTestFinished }) => {
    const { root } = await twoNodes(onTestFinished);
    const configPath = join(root, 'agent.yml');
    await writeFile(
      configPath,
      `version: 1\ncontrol-service:\n  hostname: control.example\ndataset:\n  backend: loopback\n  root_path: ${root}\n  compute_instance_id: node-c\n`,
    );
    const entries: Record<string, unknown>[] = [];
    const { createLogger } = await import('@flockerjs/core-interface');
    const { api, backend } = await openBackend(configPath, {
      logger: createLogger({ sink: (e) => entries.push(e) }),
    });
    expect(backend.name).toBe('loopback');
    expect(await api.computeInstanceId()).toBe('node-c');
    const volume = await api.createVolume(randomUUID(), SIZE);
    await api.destroyVolume(volume.blockDeviceId);
    expect(entries.filter((e) => e.action_status === 'succeeded').map((e) => e.action_type)).toEqual([
      'loopback:computeInstanceId',
      'loopback:createVolume',
      'loopback:destroyVolume',
    ]);
  });
});

// What needs no loop device runs for any user: the volumes live in files, attached to node B only by name.
describe('loopback driver, as any user', () => {
  it('refuses to destroy an attached volume with ALREADY_ATTACHED, and keeps it', async ({
    onTestFinished,
  }) => {
    const { a } = await twoNodes(onTestFinished, noLoopDevices);
    // Attached to node B: recorded in the shared root, with no loop device on A.
    const volume = await a.attachVolume((await a.createVolume(randomUUID(), SIZE)).blockDeviceId, 'node-b');
    await expect(a.destroyVolume(volume.blockDeviceId)).rejects.toMatchObject({ code: 'ALREADY_ATTACHED' });
    expect(await a.listVolumes()).toEqual([volume]);
    await a.detachVolume(volume.blockDeviceId);
    await a.destroyVolume(volume.blockDeviceId);
  });
  it('refuses a second volume for the same dataset with DATASET_EXISTS', async ({ onTestFinished }) => {
    const { a } = await twoNodes(onTestFinished, noLoopDevices);
    const datasetId = randomUUID();
    const volume = await a.createVolume(datasetId, SIZE);
    await expect(a.createVolume(datasetId, SIZE * 2)).rejects.toMatchObject({
      code: 'DATASET_EXISTS',
      blockDeviceId: volume.blockDeviceId,
    });
    expect(await a.listVolumes()).toEqual([volume]);
    await a.destroyVolume(volume.blockDeviceId);
  });
  it('a create killed half-way leaves no volume, and the next create of the dataset sweeps what it left', async ({
    onTestFinished,
  }) => {
    const { a, root } = await twoNodes(onTestFinished, noLoopDevices);
    const datasetId = randomUUID();
    // What a SIGKILL between creating the backing file and sizing it leaves: an empty staging file.
    const leftover = join(root, 'unattached', `.creating-block-${datasetId}_${SIZE}.${randomUUID()}`);
    await writeFile(leftover, '');
    expect(await a.listVolumes()).toEqual([]);
    const volume = await a.createVolume(datasetId, SIZE);
    expect(await readdir(join(root, 'unattached'))).toEqual([`${volume.blockDeviceId}_${SIZE}`]);
    expect((await stat(join(root, 'unattached', `${volume.blockDeviceId}_${SIZE}`))).size).toBe(SIZE);
    await writeFile(leftover, '');
    await a.destroyVolume(volume.blockDeviceId);
    expect(await readdir(join(root, 'unattached'))).toEqual([]);
  });
  it('two nodes creating one dataset at once: one volume of the full size, the other DATASET_EXISTS', async ({
    onTestFinished,
  }) => {
    const { a, b, root } = await twoNodes(onTestFinished, noLoopDevices);
    for (let round = 0; round < 20; round += 1) {
      const datasetId = randomUUID();
      const results = await Promise.allSettled([
        a.createVolume(datasetId, SIZE),
        b.createVolume(datasetId, SIZE),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(results.find((r) => r.status === 'rejected')).toMatchObject({
        reason: { code: 'DATASET_EXISTS' },
      });
      const [volume] = await a.listVolumes();
      expect((await stat(join(root, 'unattached', `${volume?.blockDeviceId}_${SIZE}`))).size).toBe(SIZE);
      await a.destroyVolume(volume?.blockDeviceId ?? '');
      expect(await readdir(join(root, 'unattached'))).toEqual([]);
    }
  });
  it('turns ids from outside into paths never: traversal attempts are refused with a code', async ({
    onTestFinished,
  }) => {
    const { a } = await twoNodes(onTestFinished, noLoopDevices);
    const volume = await a.createVolume(randomUUID(), SIZE);
    for (const attachTo of ['../../etc', 'a/b', '.hidden', '']) {
      await expect(a.attachVolume(volume.blockDeviceId, attachTo), attachTo).rejects.toMatchObject({
        code: 'INVALID_ID',
      });
    }
    for (const id of ['block-../../unattached/x', `block-${randomUUID()}/../x`, '../node-id']) {
      await expect(a.getDevicePath(id), id).rejects.toMatchObject({
        code: 'UNKNOWN_VOLUME',
        blockDeviceId: id,
      });
    }
    expect(await a.listVolumes()).toEqual([volume]);
    await a.destroyVolume(volume.blockDeviceId);
  });
  it('records the profile a volume was created with', async ({ onTestFinished }) => {
    const { root, a } = await twoNodes(onTestFinished, noLoopDevices);
    const volume = await a.createVolumeWithProfile(randomUUID(), SIZE, 'gold');
    expect(await readFile(join(root, 'profiles', volume.blockDeviceId), 'utf8')).toBe('gold\n');
    await expect(a.createVolumeWithProfile(randomUUID(), SIZE, '../x')).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
    });
    await a.destroyVolume(volume.blockDeviceId);
    await expect(readFile(join(root, 'profiles', volume.blockDeviceId))).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });
  it('keeps a node id made on first use in <root>/node-id, the same after a restart', async ({
    onTestFinished,
  }) => {
    const { root } = await twoNodes(onTestFinished, noLoopDevices);
    const first = await LoopbackDriver.open(configSchema.parse({ root_path: root }), { exec: noLoopDevices });
    const id = await first.computeInstanceId();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await readFile(join(root, 'node-id'), 'utf8')).trim()).toBe(id);
    const again = await LoopbackDriver.open(configSchema.parse({ root_path: root }), { exec: noLoopDevices });
    expect(await again.computeInstanceId()).toBe(id);
  });
});

describe('loopback configuration and privileges', () => {
  it('applies the documented defaults', () => {
    expect(configSchema.parse({})).toEqual({
      root_path: '/var/lib/flocker/loopback',
      allocation_unit: 1048576,
    });
  });

  it('names each bad key of the dataset section', () => {
    let problems: readonly string[] = [];
    try {
      parseBackendConfig(FLOCKER_BACKEND, {
        backend: 'loopback',
        root_path: 'relative/path',
        allocation_unit: 1.5,
        compute_instance_id: '../x',
        rootpath: '/typo',
      });
    } catch (error) {
      expect(hasCode(error, 'INVALID_CONFIG')).toBe(true);
      problems = (error as { problems: readonly string[] }).problems;
    }
    expect(problems).toEqual([
      'dataset.root_path: must be an absolute path',
      expect.stringMatching(/^dataset\.compute_instance_id: must be 1-128 letters/),
      expect.stringMatching(/^dataset\.allocation_unit: /),
      'dataset.rootpath: unknown key; did you mean root_path?',
    ]);
  });

  it('without root, says that loop devices need root, with code BACKEND', async () => {
    await expect(
      LoopbackDriver.open(configSchema.parse({ root_path: '/nonexistent' }), { getuid: () => 1000 }),
    ).rejects.toMatchObject({ code: 'BACKEND', message: expect.stringContaining(ROOT_REQUIRED) });
  });
});
