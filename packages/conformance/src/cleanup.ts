import { setTimeout as sleep } from 'node:timers/promises';
import type { BlockDeviceVolume, IBlockDeviceAPI } from '@flockerjs/core-interface';

/** Rounds of detach-and-destroy before giving up, as the original's CLEANUP_RETRY_LIMIT. */
export const CLEANUP_ROUNDS = 10;

export interface CleanupOptions {
  /** Only these block device ids are touched; others are left alone even when listed. @default every listed */
  readonly only?: ReadonlySet<string>;
  /** @default CLEANUP_ROUNDS */
  readonly rounds?: number;
  /** Pause between rounds, for backends that take time to settle. @default 1000 */
  readonly intervalMs?: number;
}

export interface CleanupResult {
  /** Volumes still there after the last round. */
  readonly remaining: readonly BlockDeviceVolume[];
  /** What failed along the way, for the report; cleanup itself never throws. */
  readonly errors: readonly unknown[];
}

/**
 * Detaches and destroys volumes until none of those it may touch are left, in bounded rounds. Errors are
 * collected, not thrown, so one stuck volume does not stop the others from being removed.
 */
export async function detachDestroyVolumes(
  api: IBlockDeviceAPI,
  options: CleanupOptions = {},
): Promise<CleanupResult> {
  const rounds = options.rounds ?? CLEANUP_ROUNDS;
  const errors: unknown[] = [];
  const listMine = async (previous: readonly BlockDeviceVolume[]): Promise<readonly BlockDeviceVolume[]> => {
    try {
      const listed = await api.listVolumes();
      return listed.filter((volume) => options.only?.has(volume.blockDeviceId) ?? true);
    } catch (error) {
      errors.push(error);
      return previous;
    }
  };
  let remaining = await listMine([]);
  for (let round = 1; remaining.length > 0 && round <= rounds; round += 1) {
    // Something survived the previous round: give the backend time to settle (detaching, deleting).
    if (round > 1) await sleep(options.intervalMs ?? 1000);
    await Promise.all(
      remaining.map(async (volume) => {
        try {
          if (volume.attachedTo !== null) await api.detachVolume(volume.blockDeviceId);
          await api.destroyVolume(volume.blockDeviceId);
        } catch (error) {
          errors.push(error);
        }
      }),
    );
    remaining = await listMine(remaining);
  }
  return { remaining, errors };
}
