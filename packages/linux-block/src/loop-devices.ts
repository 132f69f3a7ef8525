import { readdir, readFile, readlink, stat } from 'node:fs/promises';
import { BackendError, type Exec, hasCode, type TimeoutError, waitFor } from '@flockerjs/core-interface';
import { deviceMajorMinor, deviceNumbers } from './device-numbers.js';
import { readMountInfo } from './mountinfo.js';

/** One loop device and the file behind it. */
export interface LoopDevice {
  /** `/dev/loopN`. */
  readonly device: string;
  /** The backing file's path as the kernel reports it now (renames are followed). */
  readonly backingFile: string;
  /** Backing file identity, `major:minor` of its filesystem and inode, to match files without trusting paths. */
  readonly backingId: string;
}

const LOOP_DEVICE = /^\/dev\/loop\d+$/;

/** argv of `losetup` listing every loop device as JSON, with what identifies its backing file. */
export const LIST_ARGS = ['--list', '--json', '--output', 'NAME,BACK-FILE,BACK-INO,BACK-MAJ:MIN'] as const;

/** Parses `losetup --list --json --output NAME,BACK-FILE,BACK-INO,BACK-MAJ:MIN` (empty output: no devices). */
export function parseLoopDevices(output: string): LoopDevice[] {
  if (output.trim() === '') return [];
  const parsed = JSON.parse(output) as { loopdevices?: Record<string, unknown>[] };
  return (parsed.loopdevices ?? []).flatMap((entry) => {
    const device = entry.name;
    const backingFile = entry['back-file'];
    const inode = entry['back-ino'];
    const majMin = String(entry['back-maj:min'] ?? '').trim();
    if (typeof device !== 'string' || !LOOP_DEVICE.test(device) || typeof backingFile !== 'string') return [];
    return [
      {
        device,
        backingFile: backingFile.replace(/ \(deleted\)$/, ''),
        backingId: `${majMin}/${String(inode)}`,
      },
    ];
  });
}

/** The identity {@link LoopDevice.backingId} of a file from its `stat`. */
export function fileId(stat: { readonly dev: number; readonly ino: number }): string {
  const { major, minor } = deviceNumbers(stat.dev);
  return `${major}:${minor}/${stat.ino}`;
}

/** Every loop device of the host. */
export async function listLoopDevices(exec: Exec): Promise<LoopDevice[]> {
  return parseLoopDevices((await exec('losetup', LIST_ARGS)).stdout);
}

/**
 * Attaches `file` to a free loop device, or returns the one already serving it (`--nooverlap`), so a repeated
 * call never makes a second device for the same file.
 */
export async function attachLoopDevice(exec: Exec, file: string): Promise<string> {
  const { stdout } = await exec('losetup', ['--find', '--show', '--nooverlap', '--', file]);
  const device = stdout.trim();
  if (!LOOP_DEVICE.test(device))
    throw new Error(`losetup printed ${JSON.stringify(stdout)}, not a loop device`);
  return device;
}

/**
 * Detaches one loop device (`/dev/loopN` only). A device already going counts as detached: one whose detach was
 * asked while it was busy (refused while mounted) clears itself once its last user lets go, and losetup answers
 * "No such device or address" to a detach that comes as it does, or after a listing that still named it.
 */
export async function detachLoopDevice(exec: Exec, device: string): Promise<void> {
  if (!LOOP_DEVICE.test(device)) throw new TypeError(`not a loop device: ${JSON.stringify(device)}`);
  await exec('losetup', ['--detach', device]).catch((error: unknown) => {
    if (!String((error as { stderr?: unknown }).stderr ?? '').includes('No such device or address'))
      throw error;
  });
}

/**
 * How long a detached loop device may stay busy before it counts as in use: a reader elsewhere on the host lets go
 * in milliseconds on an idle host, later on a loaded one. (A mounted device is refused before any detach is asked,
 * see {@link detachLoopDevicesOf}; a mount made meanwhile keeps it busy this long.)
 */
export const DETACH_SETTLE_MS = 10_000;

/**
 * What keeps a block device in use, as this host shows it: its mounts, in this process's mount namespace or in
 * another process's (a namespace made while the device was mounted keeps its own copy of that mount, which no
 * unmount here reaches), the processes that have it open (by device number, so a node made elsewhere with mknod
 * counts), and the kernel devices stacked on it. Processes this one may not inspect are left out.
 * @param proc where procfs and sysfs are read, for tests
 */
export async function deviceHolders(
  device: string,
  proc: { readonly procRoot?: string; readonly sysRoot?: string } = {},
): Promise<string[]> {
  return holdersOf(device, proc, { readers: true });
}

/**
 * Detaches the loop devices `find` names and waits until it names none ({@link awaitDetached}). A device that is
 * mounted (here or in another mount namespace) or has a device stacked on it is refused at once and none is
 * detached: such a holder stays until someone lets go, and a detach asked meanwhile would only be put off until
 * then, so the volume would go from under whoever mounts it next.
 * @throws `BACKEND` naming the devices still in use, what holds each ({@link deviceHolders}), and saying that
 *   `what` stays attached.
 */
export async function detachLoopDevicesOf(
  exec: Exec,
  find: () => Promise<readonly string[]>,
  what: string,
  settleMs = DETACH_SETTLE_MS,
): Promise<void> {
  const devices = await find();
  const held = (
    await Promise.all(
      devices.map(async (device) => ({ device, holders: await holdersOf(device, {}, { readers: false }) })),
    )
  ).filter(({ holders }) => holders.length > 0);
  if (held.length > 0) throw inUse(held, what);
  for (const device of devices) await detachLoopDevice(exec, device);
  await awaitDetached(find, what, settleMs);
}

/**
 * Waits until `find` names no loop device, after their detach was asked. `losetup --detach` on a busy device
 * only schedules the detach: a mount keeps it busy for good, while a reader elsewhere on the host (any process may
 * open a device node) lets go soon, so busy devices get {@link DETACH_SETTLE_MS} first.
 * @throws `BACKEND` naming the devices still in use, what holds each ({@link deviceHolders}), and saying that
 *   `what` stays attached.
 */
export async function awaitDetached(
  find: () => Promise<readonly string[]>,
  what: string,
  settleMs = DETACH_SETTLE_MS,
): Promise<void> {
  await waitFor({
    what: `the loop devices of ${what} to go`,
    timeoutMs: settleMs,
    intervalMs: 50,
    poll: async () => {
      const busy = await find();
      return busy.length === 0 ? { done: true, value: undefined } : { done: false, state: busy };
    },
  }).catch(async (error: unknown) => {
    if (!hasCode(error, 'TIMEOUT')) throw error;
    const busy = (error as TimeoutError).lastState as string[];
    throw inUse(
      await Promise.all(busy.map(async (device) => ({ device, holders: await deviceHolders(device) }))),
      what,
    );
  });
}

function inUse(held: readonly { device: string; holders: readonly string[] }[], what: string): BackendError {
  const named = held.map(
    ({ device, holders }) =>
      `${device} (${holders.length > 0 ? holders.join(', ') : 'no mount or process here holds it'})`,
  );
  return new BackendError('detachVolume', `${named.join(', ')} still in use; ${what} stays attached`);
}

/** {@link deviceHolders}, with the processes that have the device open only when `readers`. */
async function holdersOf(
  device: string,
  proc: { readonly procRoot?: string; readonly sysRoot?: string },
  { readers }: { readonly readers: boolean },
): Promise<string[]> {
  const procRoot = proc.procRoot ?? '/proc';
  const majorMinor = await deviceMajorMinor(device).catch(() => undefined);
  if (majorMinor === undefined) return [];
  const mountsIn = async (pid: string): Promise<string[]> =>
    (await readMountInfo(`${procRoot}/${pid}/mountinfo`).catch(() => []))
      .filter((entry) => entry.majorMinor === majorMinor)
      .map((entry) => entry.mountPoint);
  const holders = (await mountsIn('self')).map((point) => `mounted at ${point}`);
  const namespace = async (pid: string): Promise<string | undefined> =>
    readlink(`${procRoot}/${pid}/ns/mnt`).catch(() => undefined);
  const seen = new Set([await namespace('self')]);
  const pids = (await readdir(procRoot).catch(() => [])).filter((name) => /^\d+$/.test(name));
  for (const pid of pids) {
    const command = async (): Promise<string> =>
      (await readFile(`${procRoot}/${pid}/comm`, 'utf8').catch(() => '?')).trim();
    const ns = await namespace(pid);
    if (ns !== undefined && !seen.has(ns)) {
      seen.add(ns);
      for (const point of await mountsIn(pid)) {
        holders.push(`mounted at ${point} in the mount namespace of pid ${pid} (${await command()})`);
      }
    }
    if (!readers) continue;
    for (const fd of await readdir(`${procRoot}/${pid}/fd`).catch(() => [])) {
      const info = await stat(`${procRoot}/${pid}/fd/${fd}`, { bigint: true }).catch(() => undefined);
      if (info === undefined || !info.isBlockDevice()) continue;
      const { major, minor } = deviceNumbers(info.rdev);
      if (`${major}:${minor}` !== majorMinor) continue;
      holders.push(`open by pid ${pid} (${await command()})`);
      break;
    }
  }
  const name = device.slice(device.lastIndexOf('/') + 1);
  for (const holder of await readdir(`${proc.sysRoot ?? '/sys'}/block/${name}/holders`).catch(() => [])) {
    holders.push(`held by ${holder}`);
  }
  return holders;
}
