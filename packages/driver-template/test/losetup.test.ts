import { describe, expect, it } from 'vitest';
import { parseLoopDevices } from '../src/os/losetup.js';

// Recorded from util-linux 2.38 `losetup --list --json --output NAME,BACK-FILE`.
const RECORDED = `{
   "loopdevices": [
      {
         "name": "/dev/loop0",
         "back-file": "/var/lib/flocker/__driver_name__/vol-5f0c3c0e-3a51-4a4b-9a53-0b8c8e6c0a11"
      },{
         "name": "/dev/loop1",
         "back-file": "/tmp/gone.img (deleted)"
      }
   ]
}`;

describe('parseLoopDevices', () => {
  it('reads the device and backing file of every loop device', () => {
    expect(parseLoopDevices(RECORDED)).toEqual([
      {
        device: '/dev/loop0',
        backingFile: '/var/lib/flocker/__driver_name__/vol-5f0c3c0e-3a51-4a4b-9a53-0b8c8e6c0a11',
      },
      { device: '/dev/loop1', backingFile: '/tmp/gone.img' },
    ]);
  });

  it('reads no devices from empty output, and drops entries that are not loop devices', () => {
    expect(parseLoopDevices('')).toEqual([]);
    expect(parseLoopDevices('{"loopdevices":[{"name":"/dev/sda","back-file":"/x"}]}')).toEqual([]);
  });
});
