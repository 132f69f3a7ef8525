import { randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { OpenStackEmulator } from '@flockerjs/cloud-emulator';
import type { DeviceSizeFs } from '@flockerjs/linux-block';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GIB } from '../src/index.js';
import { openDriver, serverAt, skipUnlessRoot, startEmulator, stopAndCheck } from './emulated-openstack.js';

// getDevicePath() on real devices: a virtio guest's by-id link, a Xen guest's xvdX as Nova reports it, and
// never a device whose size is not exactly the volume's.
let emulator: OpenStackEmulator | undefined;
beforeAll(async () => {
  if (skipUnlessRoot === undefined) {
    emulator = await startEmulator({ servers: [{ name: 'kvm' }, { name: 'xen', bus: 'xen' }] });
  }
});
afterAll(async () => {
  await stopAndCheck(emulator);
});
const running = (): OpenStackEmulator => {
  if (emulator === undefined) throw new TypeError('the emulator is not running');
  return emulator;
};

describe('openstack getDevicePath (real devices)', () => {
  it("a Xen guest (no by-id link): the xvdX device Nova reports, once it is the volume's size", async (context) => {
    if (skipUnlessRoot !== undefined) return context.skip(skipUnlessRoot);
    const xen = serverAt(running(), 1);
    const api = await openDriver(running(), xen);
    const first = await api.createVolume(randomUUID(), GIB);
    const second = await api.createVolume(randomUUID(), 2 * GIB);
    for (const volume of [first, second]) await api.attachVolume(volume.blockDeviceId, xen.id);
    const paths = await Promise.all([first, second].map((volume) => api.getDevicePath(volume.blockDeviceId)));
    expect(paths).toEqual([join(xen.deviceRoot, 'xvdb'), join(xen.deviceRoot, 'xvdc')]);
    for (const path of paths) expect((await stat(path)).isBlockDevice()).toBe(true);
    for (const volume of [first, second]) {
      await api.detachVolume(volume.blockDeviceId);
      await api.destroyVolume(volume.blockDeviceId);
    }
  });

  it('a device of any other size than the volume is never the answer: TIMEOUT instead', async (context) => {
    if (skipUnlessRoot !== undefined) return context.skip(skipUnlessRoot);
    const kvm = serverAt(running(), 0);
    // The guest's kernel reports one GiB more than Cinder's size (a resize half done, a wrong link).
    const larger: DeviceSizeFs = {
      stat: (path, options) => stat(path, options),
      readFile: async (path, encoding) => `${Number((await readFile(path, encoding)).trim()) + GIB / 512}\n`,
    };
    const api = await openDriver(running(), kvm, {
      deviceFs: larger,
      config: { timeouts: { device_ms: 500 } },
    });
    const volume = await api.createVolume(randomUUID(), GIB);
    await api.attachVolume(volume.blockDeviceId, kvm.id);
    await expect(api.getDevicePath(volume.blockDeviceId)).rejects.toMatchObject({ code: 'TIMEOUT' });
    await api.detachVolume(volume.blockDeviceId);
    await api.destroyVolume(volume.blockDeviceId);
  });
});
