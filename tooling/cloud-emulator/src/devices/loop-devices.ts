import { stat } from 'node:fs/promises';
import type { Exec } from '@flockerjs/core-interface';
import { deviceNumbers, listLoopDevices } from '@flockerjs/linux-block';

export { attachLoopDevice, detachLoopDevice } from '@flockerjs/linux-block';

/** Loop devices whose backing file lies under `dir`: what this emulator made and must remove. */
export async function loopDevicesUnder(exec: Exec, dir: string): Promise<string[]> {
  const devices = await listLoopDevices(exec);
  return devices.filter((device) => device.backingFile.startsWith(`${dir}/`)).map((device) => device.device);
}

/** `major:minor` of a block device node, to make the same node elsewhere with mknod. */
export async function deviceNumbersOf(device: string): Promise<{ major: bigint; minor: bigint }> {
  return deviceNumbers((await stat(device, { bigint: true })).rdev);
}
