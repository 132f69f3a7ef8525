import type { Exec } from '@flockerjs/core-interface';
import { describe, expect, it } from 'vitest';
import { detachLoopDevicesOf, fileId, LIST_ARGS, parseLoopDevices } from '../src/index.js';

// Recorded from util-linux 2.38 `losetup --list --json --output NAME,BACK-FILE,BACK-INO,BACK-MAJ:MIN`.
const RECORDED = `{
   "loopdevices": [
      {
         "name": "/dev/loop0",
         "back-file": "/var/lib/flocker/loopback/attached/node-a/block-1b2c_16777216",
         "back-ino": 2146577,
         "back-maj:min": "     254:0  "
      },{
         "name": "/dev/loop1",
         "back-file": "/tmp/gone.img (deleted)",
         "back-ino": 12,
         "back-maj:min": "8:1"
      }
   ]
}`;

describe('parseLoopDevices', () => {
  it('reads device, backing file and file identity of every loop device', () => {
    expect(parseLoopDevices(RECORDED)).toEqual([
      {
        device: '/dev/loop0',
        backingFile: '/var/lib/flocker/loopback/attached/node-a/block-1b2c_16777216',
        backingId: '254:0/2146577',
      },
      { device: '/dev/loop1', backingFile: '/tmp/gone.img', backingId: '8:1/12' },
    ]);
  });

  it('reads no devices from empty output and from an empty list', () => {
    expect(parseLoopDevices('')).toEqual([]);
    expect(parseLoopDevices('{"loopdevices": [\n\n]}')).toEqual([]);
  });

  it('drops entries whose name is not a loop device', () => {
    expect(parseLoopDevices('{"loopdevices":[{"name":"/dev/sda","back-file":"/x"}]}')).toEqual([]);
  });

  it('asks losetup for exactly the columns it parses', () => {
    expect(LIST_ARGS).toEqual(['--list', '--json', '--output', 'NAME,BACK-FILE,BACK-INO,BACK-MAJ:MIN']);
  });
});

describe('fileId', () => {
  it('decodes dev_t into the major:minor losetup prints', () => {
    expect(fileId({ dev: 65024, ino: 2146577 })).toBe('254:0/2146577');
    expect(fileId({ dev: 2049, ino: 12 })).toBe('8:1/12');
    // Large minor numbers spill into the high bits.
    expect(fileId({ dev: (259 << 8) | 0x10_0005, ino: 1 })).toBe('259:261/1');
  });
});

// The detach is losetup's; a device losetup says is already going counts as detached, and the wait still sees it go.
describe('detachLoopDevicesOf', () => {
  /**
   * A device that `find` lists once more and then not, as one being cleared by the kernel. No host has it, so
   * nothing holds it.
   */
  function going(): () => Promise<readonly string[]> {
    let listings = 0;
    return async () => (listings++ === 0 ? ['/dev/loop999999'] : []);
  }
  const failing =
    (stderr: string): Exec =>
    async (file, args) => {
      throw Object.assign(new Error(`Command failed: ${file} ${args.join(' ')}`), { stderr });
    };

  it('takes a device that is already going (losetup: No such device or address) as detached', async () => {
    const exec = failing('losetup: /dev/loop999999: detach failed: No such device or address');
    await expect(detachLoopDevicesOf(exec, going(), 'vol-1', 1000)).resolves.toBeUndefined();
  });

  it('passes on any other failure of losetup --detach', async () => {
    const exec = failing('losetup: /dev/loop999999: detach failed: Permission denied');
    await expect(detachLoopDevicesOf(exec, going(), 'vol-1', 1000)).rejects.toMatchObject({
      stderr: expect.stringContaining('Permission denied'),
    });
  });
});
