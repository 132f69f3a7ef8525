import { describe, expect, it } from 'vitest';
import { type DeviceFs, discoverDevice } from '../src/index.js';

const GIB = 1024 ** 3;

/** A device tree as plain data: links, block devices with their dev_t, sysfs sizes in sectors. */
function fakeFs(tree: {
  links?: Record<string, string>;
  devices?: Record<string, bigint>;
  sectors?: Record<string, number>;
}): DeviceFs {
  return {
    async readlink(path) {
      const target = tree.links?.[path];
      if (target === undefined) throw Object.assign(new Error(`ENOENT ${path}`), { code: 'ENOENT' });
      return target;
    },
    async stat(path) {
      const rdev = tree.devices?.[path];
      if (rdev === undefined) throw Object.assign(new Error(`ENOENT ${path}`), { code: 'ENOENT' });
      return { isBlockDevice: () => true, rdev };
    },
    async readFile(path) {
      const sectors = tree.sectors?.[path];
      if (sectors === undefined) throw Object.assign(new Error(`ENOENT ${path}`), { code: 'ENOENT' });
      return `${sectors}\n`;
    },
    async open(path) {
      throw Object.assign(new Error(`EACCES ${path}`), { code: 'EACCES' });
    },
  };
}

const devT = (major: number, minor: number): bigint => (BigInt(major) << 8n) | BigInt(minor);
const base = {
  root: '/dev',
  sysfsRoot: '/sys',
  volumeId: 'vol-0abc123def4567890',
  requestedDevice: '/dev/sdf',
  sizeBytes: GIB,
};

describe('discoverDevice', () => {
  it('follows the NVMe by-id link named after the volume id and checks the size in sysfs', async () => {
    const fs = fakeFs({
      links: { '/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0abc123def4567890': '../../nvme2n1' },
      devices: { '/dev/nvme2n1': devT(259, 2) },
      sectors: { '/sys/dev/block/259:2/size': GIB / 512 },
    });
    expect(await discoverDevice(fs, base)).toEqual({ found: '/dev/nvme2n1' });
  });

  it("never returns a device whose size is not the volume's, even behind the right link", async () => {
    const fs = fakeFs({
      links: { '/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0abc123def4567890': '../../nvme1n1' },
      devices: { '/dev/nvme1n1': devT(259, 1) },
      sectors: { '/sys/dev/block/259:1/size': (2 * GIB) / 512 },
    });
    expect(await discoverDevice(fs, base)).toEqual({
      missing: `/dev/nvme1n1 has ${2 * GIB} bytes, not ${GIB}`,
    });
  });

  it('on Nitro, ignores a device at the requested name when the by-id link points elsewhere', async () => {
    const fs = fakeFs({
      links: { '/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0abc123def4567890': '../../nvme3n1' },
      devices: { '/dev/xvdf': devT(202, 80) },
      sectors: { '/sys/dev/block/202:80/size': GIB / 512 },
    });
    expect(await discoverDevice(fs, base)).toMatchObject({ missing: expect.stringContaining('nvme3n1') });
  });

  it('falls back to the Xen name: /dev/sdf is xvdf', async () => {
    const fs = fakeFs({
      devices: { '/dev/xvdf': devT(202, 80) },
      sectors: { '/sys/dev/block/202:80/size': GIB / 512 },
    });
    expect(await discoverDevice(fs, base)).toEqual({ found: '/dev/xvdf' });
  });

  it('uses the requested name itself when the kernel kept it (sdf), and two-letter names', async () => {
    const fs = fakeFs({
      devices: { '/dev/sdf': devT(8, 80), '/dev/xvdba': devT(202, 1) },
      sectors: { '/sys/dev/block/8:80/size': GIB / 512, '/sys/dev/block/202:1/size': GIB / 512 },
    });
    expect(await discoverDevice(fs, base)).toEqual({ found: '/dev/sdf' });
    expect(await discoverDevice(fs, { ...base, requestedDevice: '/dev/xvdba' })).toEqual({
      found: '/dev/xvdba',
    });
  });

  it('reports what is missing, and refuses ids that are not volume ids', async () => {
    expect(await discoverDevice(fakeFs({}), base)).toEqual({
      missing: 'no block device at /dev/sdf or /dev/xvdf',
    });
    await expect(discoverDevice(fakeFs({}), { ...base, volumeId: '../../etc' })).rejects.toThrow(TypeError);
  });

  it('decodes large device numbers (minor above 255) as the kernel encodes them', async () => {
    // dev_t of 259:300: minor's low 8 bits at 0-7, the rest at 20-31.
    const rdev = (259n << 8n) | (300n & 0xffn) | ((300n & ~0xffn) << 12n);
    const fs = fakeFs({
      links: { '/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0abc123def4567890': '../../nvme9n1' },
      devices: { '/dev/nvme9n1': rdev },
      sectors: { '/sys/dev/block/259:300/size': GIB / 512 },
    });
    expect(await discoverDevice(fs, base)).toEqual({ found: '/dev/nvme9n1' });
  });
});
