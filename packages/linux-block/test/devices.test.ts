// On real loop devices (root only): what the agent and the drivers rely on, against the real commands.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, open, readFile, readlink, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { execCommand } from '@flockerjs/core-interface';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  attachLoopDevice,
  detachLoopDevice,
  detachLoopDevicesOf,
  deviceMajorMinor,
  deviceSize,
  ext4Size,
  growExt4,
  isBlockDevice,
  listLoopDevices,
  makeExt4,
  mount,
  probeSignature,
  readMountInfo,
  unmount,
} from '../src/index.js';

const SIZE = 32 * 1024 * 1024;
const skip = process.getuid?.() === 0 ? false : 'loop devices need root';

describe.skipIf(skip)('on a real loop device', () => {
  let dir = '';
  let device = '';
  let mounted: string | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'linux-block-'));
    const file = join(dir, 'disk.img');
    await (await open(file, 'w')).close();
    await truncate(file, SIZE);
    device = await attachLoopDevice(execCommand, file);
  });
  afterEach(async () => {
    if (mounted !== undefined) await unmount(execCommand, mounted, { lazy: true }).catch(() => {});
    mounted = undefined;
    // Only while it still serves our file: a device a test let go may already be another test's.
    for (const found of await devicesOfOurFile()) await detachLoopDevice(execCommand, found).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });
  /** Makes ext4 on the device and mounts it in the test's directory, for afterEach to unmount. */
  const mountExt4 = async (): Promise<string> => {
    await makeExt4(execCommand, device);
    const target = join(dir, 'mountpoint');
    await mkdir(target);
    await mount(execCommand, device, target);
    mounted = target;
    return target;
  };
  const devicesOfOurFile = async (): Promise<string[]> =>
    (await listLoopDevices(execCommand))
      .filter((found) => found.backingFile === join(dir, 'disk.img'))
      .map((found) => found.device);

  it('probes nothing, then ext4; measures the device; mounts where mountinfo shows it by device number', async () => {
    expect(await isBlockDevice(device)).toBe(true);
    expect(await deviceSize(device)).toBe(SIZE);
    expect(await probeSignature(execCommand, device)).toEqual({ kind: 'none' });
    await makeExt4(execCommand, device);
    expect(await probeSignature(execCommand, device)).toEqual({ kind: 'filesystem', type: 'ext4' });
    expect(await ext4Size(execCommand, device)).toBe(SIZE);
    const target = join(dir, 'mountpoint');
    await mkdir(target);
    await mount(execCommand, device, target);
    mounted = target;
    const majorMinor = await deviceMajorMinor(device);
    expect(
      (await readMountInfo()).filter((entry) => entry.majorMinor === majorMinor).map((e) => e.mountPoint),
    ).toEqual([target]);
    await unmount(execCommand, target);
    mounted = undefined;
    expect((await readMountInfo()).some((entry) => entry.majorMinor === majorMinor)).toBe(false);
  });

  it('a mounted device is refused before any detach; a reader is named once the settle time runs out', async () => {
    const target = await mountExt4();
    await expect(
      detachLoopDevicesOf(execCommand, devicesOfOurFile, 'the test disk', 200),
    ).rejects.toMatchObject({
      code: 'BACKEND',
      message: expect.stringContaining(
        `${device} (mounted at ${target}) still in use; the test disk stays attached`,
      ),
    });
    // No detach was put off until the unmount (the kernel's autoclear): the device stays attached after it.
    const autoclear = join('/sys/block', basename(device), 'loop', 'autoclear');
    expect((await readFile(autoclear, 'utf8')).trim()).toBe('0');
    await unmount(execCommand, target);
    mounted = undefined;
    expect(await devicesOfOurFile()).toEqual([device]);
    await detachLoopDevicesOf(execCommand, devicesOfOurFile, 'the test disk');
    expect(await devicesOfOurFile()).toEqual([]);

    device = await attachLoopDevice(execCommand, join(dir, 'disk.img'));
    // Held for the whole call, so the short settle time runs out whatever the machine's load.
    const handle = await open(device, 'r');
    try {
      await expect(
        detachLoopDevicesOf(execCommand, devicesOfOurFile, 'the test disk', 200),
      ).rejects.toMatchObject({
        code: 'BACKEND',
        message: expect.stringMatching(
          new RegExp(`^detachVolume failed: ${device} \\(open by pid ${process.pid} \\(`),
        ),
      });
    } finally {
      await handle.close();
    }
    await expect.poll(devicesOfOurFile, { timeout: 60_000, interval: 50 }).toEqual([]);
  });

  it('names a mount that a mount namespace made meanwhile keeps: no unmount here reaches it', async () => {
    const target = await mountExt4();
    // What `unshare --mount` (a run as nobody) does while another test has a filesystem mounted.
    const holder = spawn('unshare', ['--mount', '--propagation', 'private', 'sleep', '600'], {
      stdio: 'ignore',
    });
    const gone = new Promise((resolve) => holder.once('exit', resolve));
    try {
      const ours = await readlink('/proc/self/ns/mnt');
      const namespaceOf = async () => {
        const comm = await readFile(`/proc/${holder.pid}/comm`, 'utf8').catch(() => '');
        return comm.trim() === 'sleep' ? readlink(`/proc/${holder.pid}/ns/mnt`) : ours;
      };
      await expect.poll(namespaceOf, { timeout: 60_000, interval: 20 }).not.toBe(ours);
      await unmount(execCommand, target);
      mounted = undefined;
      await expect(
        detachLoopDevicesOf(execCommand, devicesOfOurFile, 'the test disk', 200),
      ).rejects.toMatchObject({
        code: 'BACKEND',
        message: expect.stringContaining(
          `${device} (mounted at ${target} in the mount namespace of pid ${holder.pid} (sleep)) still in use`,
        ),
      });
    } finally {
      holder.kill();
      await gone;
    }
    // Refused before any detach: it goes when asked again, once the namespace is gone (the kernel lets go of the
    // namespace's mount after its last process exits, later on a loaded machine).
    await detachLoopDevicesOf(execCommand, devicesOfOurFile, 'the test disk', 60_000);
    expect(await devicesOfOurFile()).toEqual([]);
  });

  it('grows an ext4 filesystem to a grown device', async () => {
    await makeExt4(execCommand, device);
    await truncate(join(dir, 'disk.img'), 2 * SIZE);
    await execCommand('losetup', ['--set-capacity', device]);
    expect(await deviceSize(device)).toBe(2 * SIZE);
    await growExt4(execCommand, device);
    expect(await ext4Size(execCommand, device)).toBe(2 * SIZE);
  });

  it('rejects a probe of what is no block device, though blkid says "nothing found" for it', async () => {
    await expect(probeSignature(execCommand, join(dir, 'no-such-device'))).rejects.toThrow(
      /not a block device/,
    );
    await expect(probeSignature(execCommand, join(dir, 'disk.img'))).rejects.toThrow(/not a block device/);
  });
});
