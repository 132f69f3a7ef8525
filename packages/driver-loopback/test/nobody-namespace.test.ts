import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execCommand } from '@flockerjs/core-interface';
import { makeExt4, mount, unmount } from '@flockerjs/linux-block';
import { nobodyCommand } from '@flockerjs/vitest-config/nobody';
import { afterAll, expect, it } from 'vitest';
import { configSchema, LoopbackDriver, MINIMUM_ALLOCATABLE_SIZE, ROOT_REQUIRED } from '../src/index.js';
import { makeTestRoots } from './loopback-fixtures.js';

const roots = makeTestRoots();
afterAll(roots.removeAll);

// CI saw the acceptance case's detach refused ("still in use") under two CI runs side by side: a run as
// nobody from a clone nobody cannot reach (a `mktemp -d` folder) starts in a mount namespace of its own, which
// began with a copy of every mount on the host, the case's filesystem among them, out of reach of its unmount.
it('a run as nobody does not keep a filesystem mounted outside it: the volume detaches while that run goes on', async ({
  onTestFinished,
  skip,
}) => {
  if (process.getuid?.() !== 0) skip(ROOT_REQUIRED);
  const cleanups: (() => Promise<void>)[] = [];
  onTestFinished(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  const root = await roots.make((fn) => cleanups.push(fn));
  const a = await LoopbackDriver.open(configSchema.parse({ root_path: root, compute_instance_id: 'node-a' }));
  const volume = await a.createVolume(randomUUID(), MINIMUM_ALLOCATABLE_SIZE);
  await a.attachVolume(volume.blockDeviceId, 'node-a');
  const device = await a.getDevicePath(volume.blockDeviceId);
  await makeExt4(execCommand, device);
  const target = join(root, 'mountpoint');
  await mkdir(target);
  await mount(execCommand, device, target);
  let mounted = true;
  cleanups.push(async () => {
    if (mounted) await unmount(execCommand, target, { lazy: true });
  });

  // A checkout nobody cannot reach: its folder is 0700, as `mktemp -d` makes it.
  const checkout = await mkdtemp(join(tmpdir(), 'flockerjs-unreachable-'));
  const scratch = await mkdtemp(join(tmpdir(), 'flockerjs-nobody-scratch-'));
  cleanups.push(() => rm(checkout, { recursive: true, force: true }));
  cleanups.push(() => rm(scratch, { recursive: true, force: true }));
  await writeFile(join(checkout, 'package.json'), '{}');
  const { file, args, cwd } = nobodyCommand(['sleep', '600'], { cwd: checkout, checkout, scratch });
  expect(file, 'the checkout is out of nobody’s reach, so the run gets a mount namespace').toBe('unshare');
  const run = spawn(file, args, { cwd, stdio: 'ignore' });
  const ended = new Promise((resolve) => run.once('exit', resolve));
  cleanups.push(async () => {
    run.kill();
    await ended;
  });
  // unshare, then the shell, then setpriv become sleep in turn: by then the namespace is set up.
  const ours = await readlink('/proc/self/ns/mnt');
  await expect
    .poll(async () => (await readFile(`/proc/${run.pid}/comm`, 'utf8').catch(() => '')).trim(), {
      timeout: 60_000,
      interval: 20,
    })
    .toBe('sleep');
  expect(await readlink(`/proc/${run.pid}/ns/mnt`)).not.toBe(ours);

  await unmount(execCommand, target);
  mounted = false;
  await a.detachVolume(volume.blockDeviceId);
  expect(await a.listVolumes()).toEqual([volume]);
  await a.destroyVolume(volume.blockDeviceId);
});
