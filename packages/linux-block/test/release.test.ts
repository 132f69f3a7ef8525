// releaseUnder on real loop devices and mounts (root only): everything under its directory goes, nothing else.
import { existsSync } from 'node:fs';
import { type FileHandle, mkdir, mkdtemp, open, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Exec, execCommand } from '@flockerjs/core-interface';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  attachLoopDevice,
  detachLoopDevice,
  listLoopDevices,
  makeExt4,
  mount,
  readMountInfo,
  releaseUnder,
  unmount,
} from '../src/index.js';

const SIZE = 16 * 1024 * 1024;
const skip = process.getuid?.() === 0 ? false : 'loop devices and mounts need root';

async function attachFile(dir: string, name: string): Promise<string> {
  const file = join(dir, name);
  await (await open(file, 'w')).close();
  await truncate(file, SIZE);
  return attachLoopDevice(execCommand, file);
}

const devicesUnder = async (dir: string): Promise<string[]> =>
  (await listLoopDevices(execCommand))
    .filter((d) => d.backingFile.startsWith(`${dir}/`))
    .map((d) => d.device);
const mountsUnder = async (dir: string): Promise<string[]> =>
  (await readMountInfo()).map((m) => m.mountPoint).filter((point) => point.startsWith(`${dir}/`));

describe.skipIf(skip)('releaseUnder', () => {
  let dir = '';
  let outside = '';
  let outsideDevice = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'linux-block-release-'));
    outside = await mkdtemp(join(tmpdir(), 'linux-block-outside-'));
    outsideDevice = await attachFile(outside, 'disk.img');
  });
  afterEach(async () => {
    // Whatever a failed case left: the helper under test may not be trusted to clean up after itself.
    for (const point of (await mountsUnder(dir)).reverse())
      await unmount(execCommand, point, { lazy: true }).catch(() => {});
    for (const device of [...(await devicesUnder(dir)), ...(await devicesUnder(outside))])
      await detachLoopDevice(execCommand, device).catch(() => {});
    await rm(dir, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it('unmounts nested mounts and detaches every loop device under the directory, and nothing outside it', async () => {
    const mounted = await attachFile(dir, 'a.img');
    await attachFile(dir, 'b.img');
    await makeExt4(execCommand, mounted);
    const outer = join(dir, 'mnt', 'outer');
    await mkdir(outer, { recursive: true });
    await mount(execCommand, mounted, outer);
    // A second mount inside the first, as a bind: it must go before the one it sits on.
    const inner = join(outer, 'inner');
    await mkdir(inner);
    await execCommand('mount', ['--bind', '--', join(dir, 'mnt'), inner]);
    expect(await mountsUnder(dir)).toHaveLength(2);

    expect(await releaseUnder(execCommand, dir, { remove: true })).toEqual([]);
    expect(await mountsUnder(dir)).toEqual([]);
    expect(await devicesUnder(dir)).toEqual([]);
    expect(existsSync(dir), 'the directory, asked to be removed').toBe(false);
    expect(await devicesUnder(outside), 'a device of another directory').toEqual([outsideDevice]);
  });

  it('tries every device when one detach fails, waits for the others to go, and returns that failure', async () => {
    const [first, second] = [await attachFile(dir, 'a.img'), await attachFile(dir, 'b.img')];
    // The device detached second is open here when its detach is asked (as a prober such as blkid may hold any
    // device for a moment), so the kernel only clears it once that reader lets go: at the next listing.
    let detaches = 0;
    let reader: FileHandle | undefined;
    const failingFirstDetach: Exec = async (file, args) => {
      if (file === 'losetup' && args[0] === '--detach') {
        detaches += 1;
        if (detaches === 1) throw new Error(`losetup: ${args[1]}: detach refused`);
        reader = await open(String(args[1]), 'r');
      } else if (file === 'losetup' && reader !== undefined) {
        await reader.close();
        reader = undefined;
      }
      return execCommand(file, args);
    };
    try {
      const errors = await releaseUnder(failingFirstDetach, dir);
      expect(errors.map((error) => (error as Error).message)).toEqual([
        expect.stringMatching(/detach refused/),
      ]);
      // The device whose detach was refused stays; the other one is gone by the time releaseUnder returns.
      const left = await devicesUnder(dir);
      expect(left).toHaveLength(1);
      expect([first, second]).toContain(left[0]);
      expect(await devicesUnder(outside)).toEqual([outsideDevice]);
    } finally {
      await reader?.close();
    }
  });
});
