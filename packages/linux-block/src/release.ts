import { realpath, rm } from 'node:fs/promises';
import type { Exec } from '@flockerjs/core-interface';
import { awaitDetached, DETACH_SETTLE_MS, detachLoopDevice, listLoopDevices } from './loop-devices.js';
import { unmount } from './mount.js';
import { readMountInfo } from './mountinfo.js';

/**
 * Releases what a scratch directory holds: every mount point under `dir` is unmounted (lazily, inner mounts
 * first), then every loop device backed by a file under `dir` is detached and awaited gone. Nothing outside `dir`
 * is touched, so other runs on the host keep their mounts and devices. Each mount and device is tried even when
 * another fails, so cleanup code can go on with its other steps and report everything at the end.
 * @returns what failed, one error per mount, device, listing or removal; empty when nothing under `dir` is left.
 */
export async function releaseUnder(
  exec: Exec,
  dir: string,
  options: {
    /** How long detached devices may stay busy before they count as failures. @default DETACH_SETTLE_MS */
    readonly settleMs?: number;
    /** Then remove `dir` itself, as scratch directories' owners do last. */
    readonly remove?: boolean;
  } = {},
): Promise<unknown[]> {
  // The kernel reports resolved paths: a `dir` reached through a symlink is matched by its real path too.
  const dirs = new Set([dir, await realpath(dir).catch(() => dir)].map((d) => `${d.replace(/\/+$/, '')}/`));
  const inside = (path: string): boolean => [...dirs].some((prefix) => path.startsWith(prefix));
  const errors: unknown[] = [];
  try {
    const points = (await readMountInfo()).map((entry) => entry.mountPoint).filter(inside);
    // mountinfo lists a mount after the one it sits on: in reverse, a mount goes before the one beneath it.
    for (const point of points.reverse()) {
      await unmount(exec, point, { lazy: true }).catch((error: unknown) => errors.push(error));
    }
  } catch (error) {
    errors.push(error);
  }
  const devices = async (): Promise<string[]> =>
    (await listLoopDevices(exec)).filter((d) => inside(d.backingFile)).map((d) => d.device);
  try {
    const refused = new Set<string>();
    for (const device of await devices()) {
      await detachLoopDevice(exec, device).catch((error: unknown) => {
        refused.add(device);
        errors.push(error);
      });
    }
    // Wait until the devices whose detach was accepted are really gone (a busy one goes when let go), so that what
    // is left under `dir` afterwards is only what the errors name.
    const accepted = async (): Promise<string[]> =>
      (await devices()).filter((device) => !refused.has(device));
    await awaitDetached(accepted, `the files under ${dir}`, options.settleMs ?? DETACH_SETTLE_MS);
  } catch (error) {
    errors.push(error);
  }
  if (options.remove === true)
    await rm(dir, { recursive: true, force: true }).catch((error: unknown) => errors.push(error));
  return errors;
}
