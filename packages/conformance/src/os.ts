// The suite's own reads and writes of device data; commands and device facts are in @flockerjs/linux-block.
import { open } from 'node:fs/promises';
import { checkedPath, isBlockDevice } from '@flockerjs/linux-block';

/** Writes `data` at `offset` of the device and flushes it to the backing store. */
export async function writeDevice(path: string, offset: number, data: Uint8Array): Promise<void> {
  const handle = await open(checkedPath(path), 'r+');
  try {
    await handle.write(data, 0, data.length, offset);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/** Reads `length` bytes at `offset` of the device; fewer when the device is shorter or gone. */
export async function readDevice(path: string, offset: number, length: number): Promise<Buffer> {
  const handle = await open(checkedPath(path), 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, offset);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * Whether the device at `path` no longer serves the volume whose bytes at `offset` were `marker`: the path is
 * gone, is no block device, is empty, or reads something else (another volume may take the same node name).
 */
export async function deviceNoLongerServes(
  path: string,
  offset: number,
  marker: Uint8Array,
): Promise<boolean> {
  if (!(await isBlockDevice(path))) return true;
  try {
    const read = await readDevice(path, offset, marker.length);
    return !read.equals(marker);
  } catch {
    return true;
  }
}
