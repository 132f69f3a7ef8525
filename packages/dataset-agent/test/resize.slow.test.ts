// Grow, where the backend declares resize: no shipped backend does yet, so the loopback driver is given a
// resizeVolume here (the backing file grows while detached, as a cloud volume would). The agent lets the
// dataset go, grows the volume, grows the ext4 filesystem, and mounts it again with its files.
import { randomUUID } from 'node:crypto';
import { rename, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type BlockDeviceVolume,
  execCommand,
  type IResizableBlockDeviceAPI,
  UnknownVolumeError,
} from '@flockerjs/core-interface';
import { LoopbackDriver } from '@flockerjs/driver-loopback';
import { ext4Size } from '@flockerjs/linux-block';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatasetAgent } from '../src/index.js';
import { MemoryLink } from './memory-link.js';
import { MIB, makeWorld, readChecksum, skipUnlessRoot, type World, writeData } from './world.js';

/** The loopback driver with `resize` declared: an unattached volume's sparse file grows (its name holds its size). */
function resizable(driver: LoopbackDriver, root: string): IResizableBlockDeviceAPI {
  const grown: IResizableBlockDeviceAPI = Object.create(driver);
  Object.defineProperty(grown, 'capabilities', { value: { ...driver.capabilities, resize: true } });
  for (const method of [
    'allocationUnit',
    'computeInstanceId',
    'createVolume',
    'destroyVolume',
    'attachVolume',
    'detachVolume',
    'listVolumes',
    'getDevicePath',
  ] as const) {
    Object.defineProperty(grown, method, {
      value: (...args: never[]) => (driver[method] as (...a: never[]) => unknown).apply(driver, args),
    });
  }
  grown.resizeVolume = async (blockDeviceId: string, size: number): Promise<BlockDeviceVolume> => {
    const volume = (await driver.listVolumes()).find((v) => v.blockDeviceId === blockDeviceId);
    if (volume === undefined) throw new UnknownVolumeError(blockDeviceId);
    if (volume.attachedTo !== null) throw new TypeError('resize of an attached volume');
    const from = join(root, 'unattached', `${blockDeviceId}_${volume.size}`);
    await truncate(from, size);
    await rename(from, join(root, 'unattached', `${blockDeviceId}_${size}`));
    return { ...volume, size };
  };
  return grown;
}

describe.skipIf(skipUnlessRoot)(
  'growing a dataset where the backend declares resize',
  { timeout: 120_000 },
  () => {
    let world: World;
    beforeEach(async () => {
      world = await makeWorld('agent-resize-');
    });
    afterEach(async () => {
      await world.cleanup();
    });

    it('lets the dataset go, grows volume and filesystem, and mounts it again with its files', async () => {
      const driver = await LoopbackDriver.open({
        root_path: world.root,
        compute_instance_id: 'node-a',
        allocation_unit: MIB,
      });
      const api = resizable(driver, world.root);
      const link = new MemoryLink('node-a');
      const agent = new DatasetAgent({ api, link, mountRoot: world.mountRoot('node-a') });
      const datasetId = randomUUID();
      link.want(datasetId, 'node-a', { maximumSize: 32 * MIB });
      expect((await agent.converge()).failed).toEqual([]);
      const sum = await writeData(world.mountPath('node-a', datasetId), 'data.bin', 'before growing');

      link.want(datasetId, 'node-a', { maximumSize: 96 * MIB });
      const kinds: string[] = [];
      for (let round = 0; round < 10; round += 1) {
        const result = await agent.round();
        expect(result.failed).toEqual([]);
        if (result.plan.changes.length === 0) break;
        kinds.push(...result.done.map((change) => change.kind));
      }
      expect(kinds).toEqual([
        'unmount',
        'detach-volume',
        'resize-volume',
        'attach-volume',
        'grow-filesystem',
        'mount',
      ]);
      expect((await driver.listVolumes())[0]?.size).toBe(96 * MIB);
      const device = await driver.getDevicePath(`block-${datasetId}`);
      expect(await ext4Size(execCommand, device)).toBe(96 * MIB);
      expect(await readChecksum(world.mountPath('node-a', datasetId), 'data.bin')).toBe(sum);
    });
  },
);
