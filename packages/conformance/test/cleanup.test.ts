import { randomUUID } from 'node:crypto';
import {
  type BlockDeviceVolume,
  blockDeviceVolume,
  type IBlockDeviceAPI,
  UnattachedVolumeError,
  UnknownVolumeError,
  withAttachedTo,
} from '@flockerjs/core-interface';
import { describe, expect, it } from 'vitest';
import { detachDestroyVolumes } from '../src/index.js';

/** A map of volumes behind the contract, with a switch to make destroy fail a given number of times. */
function memoryApi(initial: BlockDeviceVolume[], failDestroys = 0): IBlockDeviceAPI & { calls: string[] } {
  const volumes = new Map(initial.map((volume) => [volume.blockDeviceId, volume]));
  const calls: string[] = [];
  const get = (id: string): BlockDeviceVolume => {
    const volume = volumes.get(id);
    if (volume === undefined) throw new UnknownVolumeError(id);
    return volume;
  };
  return {
    calls,
    capabilities: { profiles: false, cloudApi: false, startNode: false, resize: false },
    allocationUnit: async () => 1,
    computeInstanceId: async () => 'node',
    createVolume: async () => {
      throw new Error('not used');
    },
    async destroyVolume(id) {
      calls.push(`destroy ${id}`);
      get(id);
      if (failDestroys-- > 0) throw new Error('backend busy');
      volumes.delete(id);
    },
    attachVolume: async (id, node) => withAttachedTo(get(id), node),
    async detachVolume(id) {
      calls.push(`detach ${id}`);
      const volume = get(id);
      if (volume.attachedTo === null) throw new UnattachedVolumeError(id);
      volumes.set(id, withAttachedTo(volume, null));
    },
    listVolumes: async () => [...volumes.values()],
    getDevicePath: async () => '/dev/null',
  };
}

const volume = (attachedTo: string | null = null): BlockDeviceVolume => {
  const datasetId = randomUUID();
  return blockDeviceVolume({ blockDeviceId: `vol-${datasetId}`, size: 1, attachedTo, datasetId });
};

describe('detachDestroyVolumes', () => {
  it('detaches attached volumes, then destroys every volume', async () => {
    const attached = volume('node');
    const unattached = volume();
    const api = memoryApi([attached, unattached]);
    const result = await detachDestroyVolumes(api, { intervalMs: 0 });
    expect(result).toEqual({ remaining: [], errors: [] });
    expect(api.calls).toEqual([
      `detach ${attached.blockDeviceId}`,
      `destroy ${unattached.blockDeviceId}`,
      `destroy ${attached.blockDeviceId}`,
    ]);
  });

  it('never touches volumes outside `only`', async () => {
    const mine = volume();
    const theirs = volume('node');
    const api = memoryApi([mine, theirs]);
    await detachDestroyVolumes(api, { only: new Set([mine.blockDeviceId]), intervalMs: 0 });
    expect(await api.listVolumes()).toEqual([theirs]);
    expect(api.calls.join('\n')).not.toContain(theirs.blockDeviceId);
  });

  it('retries what failed in later rounds and reports the errors without throwing', async () => {
    const api = memoryApi([volume()], 2);
    const result = await detachDestroyVolumes(api, { intervalMs: 0 });
    expect(result.remaining).toEqual([]);
    expect(result.errors).toHaveLength(2);
  });

  it('gives up after the given number of rounds and says what is left', async () => {
    const stuck = volume();
    const api = memoryApi([stuck], Number.POSITIVE_INFINITY);
    const result = await detachDestroyVolumes(api, { rounds: 3, intervalMs: 0 });
    expect(result.remaining).toEqual([stuck]);
    expect(api.calls).toEqual(Array(3).fill(`destroy ${stuck.blockDeviceId}`));
  });
});
