// Device discovery: which block device on this host is a given volume's disk. A wrong answer loses data, so the
// disk is identified by what the storage system says about it (its serial), never by the order disks appeared.
import type { Exec } from '@flockerjs/core-interface';
import { listLoopDevices } from '@flockerjs/linux-block';

/**
 * The device path of the disk with `serial` on this host, or `undefined` while it has not appeared.
 *
 * TODO(driver-author): the stand-in's disks are loop devices whose backing file is named after the serial. A
 * real backend resolves `/dev/disk/by-id/<vendor>-<serial>` (or reads the NVMe serial) instead.
 */
export async function findDevicePath(exec: Exec, serial: string): Promise<string | undefined> {
  const devices = await listLoopDevices(exec);
  return devices
    .filter((device) => device.backingFile.split('/').at(-1) === serial)
    .map((device) => device.device)
    .sort()[0];
}
