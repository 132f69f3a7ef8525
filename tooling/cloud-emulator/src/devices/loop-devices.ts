import { stat } from 'node:fs/promises';
import type { Exec } from './exec.js';

const LOOP_DEVICE = /^\/dev\/loop\d+$/;

/** Attaches `file` to a free loop device (`--nooverlap`: a second call reuses the first device). */
export async function attachLoopDevice(exec: Exec, file: string): Promise<string> {
  const { stdout } = await exec('losetup', ['--find', '--show', '--nooverlap', '--', file]);
  const device = stdout.trim();
  if (!LOOP_DEVICE.test(device))
    throw new Error(`losetup printed ${JSON.stringify(stdout)}, not a loop device`);
  return device;
}

export async function detachLoopDevice(exec: Exec, device: string): Promise<void> {
  if (!LOOP_DEVICE.test(device)) throw new TypeError(`not a loop device: ${JSON.stringify(device)}`);
  await exec('losetup', ['--detach', device]);
}

/** Loop devices whose backing file lies under `dir`: what this emulator made and must remove. */
export async function loopDevicesUnder(exec: Exec, dir: string): Promise<string[]> {
  const { stdout } = await exec('losetup', ['--list', '--json', '--output', 'NAME,BACK-FILE']);
  if (stdout.trim() === '') return [];
  const parsed = JSON.parse(stdout) as { loopdevices?: { name?: unknown; 'back-file'?: unknown }[] };
  return (parsed.loopdevices ?? []).flatMap((entry) =>
    typeof entry.name === 'string' &&
    LOOP_DEVICE.test(entry.name) &&
    typeof entry['back-file'] === 'string' &&
    entry['back-file'].startsWith(`${dir}/`)
      ? [entry.name]
      : [],
  );
}

/** `major:minor` of a block device, from its inode. */
export async function deviceNumbers(device: string): Promise<{ major: bigint; minor: bigint }> {
  const { rdev } = await stat(device, { bigint: true });
  // Linux's dev_t encoding: major in bits 8-19 and 32-43, minor in bits 0-7 and 20-31.
  return {
    major: ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn),
    minor: (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn),
  };
}
