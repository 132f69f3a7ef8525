import { describe, expect, it } from 'vitest';
import {
  blkidArgs,
  checkedPath,
  deviceSize,
  parseBlkid,
  parseDumpe2fsSize,
  parseMountInfo,
} from '../src/index.js';

describe('parseBlkid', () => {
  it('reads a filesystem, a partition table and other signatures (recorded from util-linux 2.38)', () => {
    expect(
      parseBlkid('DEVNAME=/dev/loop0\nUUID=26\nVERSION=1.0\nBLOCK_SIZE=1024\nTYPE=ext4\nUSAGE=filesystem\n'),
    ).toEqual({
      kind: 'filesystem',
      type: 'ext4',
    });
    expect(parseBlkid('DEVNAME=/dev/loop0\nPTUUID=1234abcd\nPTTYPE=dos\n')).toEqual({
      kind: 'other',
      type: 'dos',
      usage: 'partition table',
    });
    expect(parseBlkid('DEVNAME=/dev/loop0\nVERSION=1\nTYPE=swap\nUSAGE=other\n')).toEqual({
      kind: 'other',
      type: 'swap',
      usage: 'other',
    });
  });

  it('never reads a successful probe as an empty device', () => {
    expect(parseBlkid('DEVNAME=/dev/loop0\n').kind).toBe('other');
    expect(parseBlkid('').kind).toBe('other');
  });

  it('probes every kind of signature and refuses suspicious paths', () => {
    expect(blkidArgs('/dev/loop3')).toEqual(['--probe', '--output', 'export', '--', '/dev/loop3']);
    expect(() => blkidArgs('/dev/../etc/passwd')).toThrow(TypeError);
    expect(() => checkedPath('/dev/loop0; rm -rf /')).toThrow(TypeError);
    expect(() => checkedPath('relative')).toThrow(TypeError);
  });
});

describe('parseMountInfo', () => {
  // Recorded from /proc/self/mountinfo (Debian 12), plus a mount point with a space.
  const RECORDED = [
    '22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro',
    '25 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw',
    '301 22 7:3 / /tmp/x/a/1b2c\\040d rw,relatime shared:160 - ext4 /dev/loop3 rw',
    '',
  ].join('\n');

  it('reads device numbers, mount points (unescaped), types and sources', () => {
    expect(parseMountInfo(RECORDED)).toEqual([
      { majorMinor: '254:1', root: '/', mountPoint: '/', fsType: 'ext4', source: '/dev/vda1' },
      { majorMinor: '0:21', root: '/', mountPoint: '/proc', fsType: 'proc', source: 'proc' },
      { majorMinor: '7:3', root: '/', mountPoint: '/tmp/x/a/1b2c d', fsType: 'ext4', source: '/dev/loop3' },
    ]);
  });

  it('skips lines without the separator', () => {
    expect(parseMountInfo('garbage line\n1 2 3')).toEqual([]);
  });
});

describe('parseDumpe2fsSize', () => {
  it('multiplies block count by block size', () => {
    expect(
      parseDumpe2fsSize(
        'Filesystem volume name:   <none>\nBlock count:              65536\nBlock size:               1024\n',
      ),
    ).toBe(64 * 1024 * 1024);
    expect(() => parseDumpe2fsSize('nothing')).toThrow(/unexpected dumpe2fs output/);
  });
});

describe('deviceSize', () => {
  const fs = (isBlock: boolean, sectors: string) => ({
    stat: async () => ({ isBlockDevice: () => isBlock, rdev: (7n << 8n) | 3n }),
    readFile: async (path: string) => {
      if (path !== '/sysfs/dev/block/7:3/size') throw new Error(`unexpected ${path}`);
      return sectors;
    },
  });

  it('reads sectors of 512 bytes from sysfs by device number', async () => {
    expect(await deviceSize('/dev/loop3', { fs: fs(true, '32768\n'), sysfsRoot: '/sysfs' })).toBe(
      16 * 1024 * 1024,
    );
  });

  it('is undefined for what is no block device or has no readable size', async () => {
    expect(await deviceSize('/dev/loop3', { fs: fs(false, '1\n'), sysfsRoot: '/sysfs' })).toBeUndefined();
    expect(await deviceSize('/dev/loop3', { fs: fs(true, 'x'), sysfsRoot: '/sysfs' })).toBeUndefined();
    expect(await deviceSize('/nonexistent/device')).toBeUndefined();
  });
});
