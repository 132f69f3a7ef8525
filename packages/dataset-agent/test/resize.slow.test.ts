// Grow, where the backend declares resize (the loopback driver does): the agent lets the dataset go, grows the
// volume, grows the ext4 filesystem, and mounts it again with its files.
import { randomUUID } from 'node:crypto';
import { execCommand } from '@flockerjs/core-interface';
import { LoopbackDriver } from '@flockerjs/driver-loopback';
import { ext4Size } from '@flockerjs/linux-block';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatasetAgent } from '../src/index.js';
import { MemoryLink } from './memory-link.js';
import { MIB, makeWorld, readChecksum, skipUnlessRoot, type World, writeData } from './world.js';

describe.skipIf(skipUnlessRoot)('growing a dataset where the backend declares resize', () => {
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
    const link = new MemoryLink('node-a');
    const agent = new DatasetAgent({ api: driver, link, mountRoot: world.mountRoot('node-a') });
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
});
