import { randomUUID } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type ApiMethods, withMethods } from '@flockerjs/conformance';
import {
  type BlockDeviceVolume,
  hasCode,
  type IBlockDeviceAPI,
  type ICloudAPI,
  type IProfiledBlockDeviceAPI,
  type IResizableBlockDeviceAPI,
  UnattachedVolumeError,
} from '@flockerjs/core-interface';
import { MINIMUM_ALLOCATABLE_SIZE } from '../../src/index.js';

/** How many volumes one page of the listing holds in the mutant runs: the "one-page" mutant reads one. */
export const PAGE_SIZE = 3;

/**
 * Broken variants of the loopback driver (in the simulated cloud of `mutant.suite.ts`), each with a bug real
 * drivers have had. The conformance suite must fail on every one of them: a suite that passes a broken driver
 * proves nothing.
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
        const volume = await find(api, id);
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
  /** Checks only that a volume is attached, not where: hands out a path for another node's volume. */
  'foreign-device': (api, root) =>
    withMethods(api, {
      async getDevicePath(id) {
        const volume = await find(api, id);
        const here = await api.computeInstanceId();
        if (volume?.attachedTo == null || volume.attachedTo === here) return api.getDevicePath(id);
        return join(root, 'attached', volume.attachedTo, `${id}_${volume.size}`);
      },
    }),
  /** Takes a volume from the node that holds it instead of refusing: a force-detach behind the owner's back. */
  'steals-attached': (api) =>
    withMethods(api, {
      async attachVolume(id, node) {
        const volume = await find(api, id);
        if (volume?.attachedTo != null && volume.attachedTo !== node) await api.detachVolume(id);
        return api.attachVolume(id, node);
      },
    }),
  /** Detaches only from this node, as a driver that looks for the device before asking the backend. */
  'detaches-here-only': (api) =>
    withMethods(api, {
      async detachVolume(id) {
        const volume = await find(api, id);
        const here = await api.computeInstanceId();
        if (volume?.attachedTo != null && volume.attachedTo !== here) throw new UnattachedVolumeError(id);
        return api.detachVolume(id);
      },
    }),
  /** Lists only this node's attachments, as a driver filtering on the local instance would. */
  'hides-foreign': (api) =>
    withMethods(api, {
      async listVolumes() {
        const here = await api.computeInstanceId();
        return (await api.listVolumes()).filter((v) => v.attachedTo === null || v.attachedTo === here);
      },
    }),
  /** Reads the first page of the listing only: the missing NextToken loop. */
  'one-page': (api) =>
    withMethods(api, {
      listVolumes: async () => (await api.listVolumes()).slice(0, PAGE_SIZE),
    }),
  /** Deletes an attached volume's backing file while its device is in use, declaring nothing. */
  'destroys-attached': (api, root) =>
    withMethods(api, {
      async destroyVolume(id) {
        const volume = await find(api, id);
        if (volume?.attachedTo == null) return api.destroyVolume(id);
        await rm(join(root, 'attached', volume.attachedTo, `${id}_${volume.size}`));
      },
    }),
  /** Declares that it destroys attached volumes, and does, but leaves the device serving the deleted data. */
  'destroys-attached-keeps-device': (api, root) =>
    withMembers(api, {
      capabilities: { ...api.capabilities, destroysAttached: true },
      async destroyVolume(id) {
        const volume = await find(api, id);
        if (volume?.attachedTo == null) return api.destroyVolume(id);
        await rm(join(root, 'attached', volume.attachedTo, `${id}_${volume.size}`));
      },
    }),
  /** Declares an idempotent create, and still refuses the second one. */
  'claims-idempotent': (api) =>
    withMembers(api, { capabilities: { ...api.capabilities, idempotentCreate: true } }),
  /** Makes a second volume when the dataset has one, as a driver that never looks for the first would. */
  'second-volume': (api) =>
    withMethods(api, {
      createVolume: (datasetId, size) =>
        api.createVolume(datasetId, size).catch((error: unknown) => {
          if (!hasCode(error, 'DATASET_EXISTS')) throw error;
          return api
            .createVolume(randomUUID(), size)
            .then((volume): BlockDeviceVolume => ({ ...volume, datasetId }));
        }),
    }),
  /** Accepts a profile and drops it: every volume gets the backend's default. */
  'drops-profiles': (api) =>
    withMethods(api, {
      createVolumeWithProfile: (datasetId, size) => api.createVolume(datasetId, size),
    }),
  /** Reports an allocation unit that changes once volumes exist, as one read from the last volume would. */
  'drifting-unit': (api) => {
    let calls = 0;
    return withMethods(api, {
      allocationUnit: async () => (await api.allocationUnit()) * (++calls > 1 ? 2 : 1),
    });
  },
  /** Grows a volume by making it anew: the size is right, the data is gone. */
  'resize-loses-data': (api) =>
    withMembers(api, {
      async resizeVolume(id, size) {
        const volume = await find(api, id);
        if (volume === undefined) return api.resizeVolume(id, size);
        await api.destroyVolume(id);
        return api.createVolume(volume.datasetId, size);
      },
    }),
  /** Resizes an attached volume by detaching it behind its user's back, and attaching it again. */
  'resize-attached': (api) =>
    withMembers(api, {
      async resizeVolume(id, size) {
        const node = (await find(api, id))?.attachedTo;
        if (node == null) return api.resizeVolume(id, size);
        await api.detachVolume(id);
        await api.resizeVolume(id, size);
        return api.attachVolume(id, node);
      },
    }),
  /** Reports every node it knows as live, stopped ones included. */
  'lists-stopped': (api) =>
    withMembers(api, { listLiveNodes: async () => [await api.computeInstanceId(), OTHER_NODE] }),
  /** Accepts startNode and starts nothing. */
  'start-does-nothing': (api) => withMembers(api, { startNode: async () => undefined }),
} satisfies Record<string, (api: FullApi, root: string) => IBlockDeviceAPI>;

export type MutantName = keyof typeof MUTANTS;

/** The node of the simulated cloud that volumes are attached to besides this one. */
export const OTHER_NODE = 'mutant-other-node';

/** The loopback driver as the mutants get it: in the simulated cloud, with every optional member. */
export type FullApi = IProfiledBlockDeviceAPI & ICloudAPI & IResizableBlockDeviceAPI;

/** `api` with members replaced that {@link withMethods}' type does not list (cloud, resize, capabilities). */
export function withMembers(api: IBlockDeviceAPI, members: Partial<FullApi>): IBlockDeviceAPI {
  return withMethods(api, members as ApiMethods);
}

async function find(api: IBlockDeviceAPI, id: string): Promise<BlockDeviceVolume | undefined> {
  return (await api.listVolumes()).find((volume) => volume.blockDeviceId === id);
}

function ignore(code: 'UNKNOWN_VOLUME') {
  return (error: unknown): void => {
    if (!hasCode(error, code)) throw error;
  };
}
