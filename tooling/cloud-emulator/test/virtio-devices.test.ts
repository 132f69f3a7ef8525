import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Exec } from '@flockerjs/core-interface';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Attachment } from '../src/index.js';
import { VirtioDevices, virtioByIdName } from '../src/openstack/virtio-devices.js';

// mknod as a plain file: what is under test is when the guest counts as having the disk, which any user can
// check; the real block nodes are proven by the Nova attach case of openstack-api.test.ts (root).
const mknodAsFile: Exec = async (file, args) => {
  if (file !== 'mknod') throw new Error(`unexpected command ${file}`);
  await writeFile(args[2] ?? '', '');
  return { stdout: '', stderr: '' };
};

let root = '';
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'virtio-devices-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

it('a disk counts as present only once its by-id link exists: Cinder says in-use, a driver reads the link next', async () => {
  const devices = new VirtioDevices(join(root, 'dev'), mknodAsFile);
  await devices.prepare();
  const volumeId = '0f6a2a44-9d0c-4b8e-8a51-3c1c2f7d9e01';
  const attachment: Attachment = {
    instanceId: 'server',
    device: '/dev/xvdb',
    state: 'attached',
    attachTime: new Date(),
    nodes: [],
    // Any node stat can read stands in for the loop device: only its numbers are copied.
    loopDevice: '/dev/null',
  };
  const link = join(root, 'dev', 'disk', 'by-id', virtioByIdName(volumeId));
  // Each turn of the event loop while the nodes are made is a moment a concurrent request could read the
  // status; none may see the disk present without its link.
  const seenWithoutLink: number[] = [];
  let turns = 0;
  let done = false;
  const watch = (): void => {
    turns += 1;
    if (devices.present(attachment) && !existsSync(link)) seenWithoutLink.push(turns);
    if (!done) setImmediate(watch);
  };
  setImmediate(watch);
  await devices.materialize(attachment, volumeId, 'b');
  done = true;
  expect(seenWithoutLink).toEqual([]);
  expect(turns).toBeGreaterThan(0);
  expect(devices.present(attachment)).toBe(true);
  expect(existsSync(link)).toBe(true);
  await devices.unplug(attachment);
  expect(devices.present(attachment)).toBe(false);
  expect(existsSync(link)).toBe(false);
});
