import { randomUUID } from 'node:crypto';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { withMethods } from '@flockerjs/conformance';
import { hasCode, type IBlockDeviceAPI } from '@flockerjs/core-interface';
import { type LoopbackDriver, MINIMUM_ALLOCATABLE_SIZE } from '../../src/index.js';

/**
 * Broken variants of the loopback driver, each with a bug real drivers have had. The conformance suite must
 * fail on every one of them: a suite that passes a broken driver proves nothing.
 */
export const MUTANTS = {
  /** The driver as it is, for runs of the suite under other conditions (say, without root). */
  none: (api) => api,
  /** Treats unknown ids as success, as a driver that swallows "not found" would. */
  'silent-unknown': (api) =>
    withMethods(api, {
      destroyVolume: (id) => api.destroyVolume(id).catch(ignore('UNKNOWN_VOLUME')),
      detachVolume: (id) => api.detachVolume(id).catch(ignore('UNKNOWN_VOLUME')),
    }),
  /** Reports a detach while the device still serves the volume's data: it moves the file, keeps the device. */
  'stale-device': (api, root) =>
    withMethods(api, {
      async detachVolume(id) {
        const volume = (await api.listVolumes()).find((v) => v.blockDeviceId === id);
        if (volume?.attachedTo == null) return api.detachVolume(id);
        const name = `${id}_${volume.size}`;
        await rename(join(root, 'attached', volume.attachedTo, name), join(root, 'unattached', name));
      },
    }),
  /** Hands out the same device for every volume: the data-loss bug. */
  'shared-device': (api) => {
    let device: Promise<string> | undefined;
    return withMethods(api, {
      getDevicePath: async (id) => {
        const own = await api.getDevicePath(id);
        device ??= Promise.resolve(own);
        return device;
      },
    });
  },
  /** Loses attached volumes from the listing, as a driver filtering on the wrong state would. */
  'hides-attached': (api) =>
    withMethods(api, {
      listVolumes: async () => (await api.listVolumes()).filter((volume) => volume.attachedTo === null),
    }),
  /** Rounds sizes up instead of refusing them. */
  'rounds-sizes': (api) =>
    withMethods(api, {
      createVolume: async (datasetId, size) => {
        const unit = await api.allocationUnit();
        return api.createVolume(
          datasetId,
          Number.isFinite(size) && size > 0 ? Math.ceil(size / unit) * unit : size,
        );
      },
    }),
  /** Makes a second, untracked volume on every create: a leak. */
  'leaks-volumes': (api) =>
    withMethods(api, {
      createVolume: async (datasetId, size) => {
        const volume = await api.createVolume(datasetId, size);
        await api.createVolume(randomUUID(), MINIMUM_ALLOCATABLE_SIZE);
        return volume;
      },
    }),
} satisfies Record<string, (api: LoopbackDriver, root: string) => IBlockDeviceAPI>;

export type MutantName = keyof typeof MUTANTS;

function ignore(code: 'UNKNOWN_VOLUME') {
  return (error: unknown): void => {
    if (!hasCode(error, code)) throw error;
  };
}
