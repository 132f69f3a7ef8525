// Each safety rule, with a test that tries to break it on real loop devices (loopback driver, in-process agents).
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execCommand, type IBlockDeviceAPI } from '@flockerjs/core-interface';
import { LoopbackDriver } from '@flockerjs/driver-loopback';
import { makeExt4, mount, unmount } from '@flockerjs/linux-block';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatasetAgent, execute } from '../src/index.js';
import { MemoryLink } from './memory-link.js';
import { MIB, makeWorld, readChecksum, skipUnlessRoot, type World, writeData } from './world.js';

const SIZE = 32 * MIB;
const hasMkfsXfs = await execCommand('sh', ['-c', 'command -v mkfs.xfs']).then(
  () => true,
  () => false,
);

/** Byte-exact fingerprint of a whole device. */
async function fingerprint(device: string): Promise<string> {
  const handle = await open(device, 'r');
  try {
    const hash = createHash('sha256');
    const buffer = Buffer.alloc(MIB);
    for (let offset = 0; offset < SIZE; offset += MIB) {
      const { bytesRead } = await handle.read(buffer, 0, MIB, offset);
      hash.update(buffer.subarray(0, bytesRead));
    }
    return hash.digest('hex');
  } finally {
    await handle.close();
  }
}

async function writeAt(device: string, offset: number, data: Uint8Array): Promise<void> {
  const handle = await open(device, 'r+');
  try {
    await handle.write(data, 0, data.length, offset);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/** A DOS partition table: one Linux partition, and the 0x55AA boot signature. */
function mbr(): Uint8Array {
  const sector = Buffer.alloc(512);
  Buffer.from([0, 0, 0, 0, 0x83, 0, 0, 0]).copy(sector, 446);
  sector.writeUInt32LE(2048, 454);
  sector.writeUInt32LE(4096, 458);
  sector[510] = 0x55;
  sector[511] = 0xaa;
  return sector;
}

describe.skipIf(skipUnlessRoot)('safety rules on real devices', () => {
  let world: World;
  let driver: LoopbackDriver;
  let link: MemoryLink;
  let agent: DatasetAgent;
  let datasetId: string;
  const node = (id: string, api?: IBlockDeviceAPI) => {
    const nodeLink = new MemoryLink(id);
    return {
      link: nodeLink,
      agent: (driverApi: IBlockDeviceAPI) =>
        new DatasetAgent({ api: api ?? driverApi, link: nodeLink, mountRoot: world.mountRoot(id) }),
    };
  };

  beforeEach(async () => {
    world = await makeWorld('agent-safety-');
    driver = await LoopbackDriver.open({
      root_path: world.root,
      compute_instance_id: 'node-a',
      allocation_unit: MIB,
    });
    link = new MemoryLink('node-a');
    agent = new DatasetAgent({ api: driver, link, mountRoot: world.mountRoot('node-a') });
    datasetId = randomUUID();
  });
  afterEach(async () => {
    await world.cleanup();
  });

  /** A volume of the dataset, attached here, with `prepare` applied to its device, then detached. */
  async function volumeHolding(prepare: (device: string) => Promise<void>): Promise<string> {
    const volume = await driver.createVolume(datasetId, SIZE);
    await driver.attachVolume(volume.blockDeviceId, 'node-a');
    const device = await driver.getDevicePath(volume.blockDeviceId);
    await prepare(device);
    const print = await fingerprint(device);
    await driver.detachVolume(volume.blockDeviceId);
    return print;
  }

  describe('a device with any signature is never formatted', () => {
    const unknown: [string, (device: string) => Promise<void>][] = [
      ['a DOS partition table', (device) => writeAt(device, 0, mbr())],
      [
        'random data with a LUKS header',
        async (device) => {
          await writeAt(device, 0, randomBytes(MIB));
          await writeAt(device, 0, Buffer.from([0x4c, 0x55, 0x4b, 0x53, 0xba, 0xbe, 0, 1]));
        },
      ],
    ];

    it.each(unknown)(
      '%s: reported as DEVICE_HOLDS_DATA, left byte for byte as it was, never mounted',
      async (_name, prepare) => {
        const before = await volumeHolding(prepare);
        link.want(datasetId, 'node-a', { maximumSize: SIZE });
        const result = await agent.converge();
        expect(result.failed).toEqual([]);
        expect(result.last.problems.map((p) => p.code)).toEqual(['DEVICE_HOLDS_DATA']);
        expect(link.reports.at(-1)?.datasets[0]).toMatchObject({
          state: 'ATTACHED_UNKNOWN_DATA',
          error: { code: 'DEVICE_HOLDS_DATA' },
        });
        const device = await driver.getDevicePath(`block-${datasetId}`);
        expect(await fingerprint(device)).toBe(before);
        expect(await world.mounts()).toEqual([]);
        // Rounds after the first change nothing either.
        await agent.round();
        expect(await fingerprint(device)).toBe(before);
      },
    );

    it('an ext4 filesystem with files: mounted as it is, files intact, never reformatted', async () => {
      const scratch = join(world.dir, 'prepare');
      await mkdir(scratch);
      let sum = '';
      await volumeHolding(async (device) => {
        await makeExt4(execCommand, device);
        await mount(execCommand, device, scratch);
        sum = await writeData(scratch, 'kept.bin', 'before the agent');
        await unmount(execCommand, scratch);
      });
      link.want(datasetId, 'node-a', { maximumSize: SIZE });
      const result = await agent.converge();
      expect(result.failed).toEqual([]);
      expect(await readChecksum(world.mountPath('node-a', datasetId), 'kept.bin')).toBe(sum);
    });

    it.skipIf(!hasMkfsXfs)('an xfs filesystem (mkfs.xfs installed): mounted, never reformatted', async () => {
      await volumeHolding(async (device) => {
        await execCommand('mkfs.xfs', ['-q', '--', device]);
      });
      link.want(datasetId, 'node-a', { maximumSize: SIZE });
      const result = await agent.converge();
      expect(result.failed).toEqual([]);
      expect(link.reports.at(-1)?.datasets[0]?.state).toBe('MOUNTED');
    });

    it('the executor probes again right before mkfs: a signature that appeared since discovery stops it', async () => {
      await volumeHolding(async () => {});
      await driver.attachVolume(`block-${datasetId}`, 'node-a');
      const device = await driver.getDevicePath(`block-${datasetId}`);
      await writeAt(device, 0, mbr());
      const before = await fingerprint(device);
      const deps = {
        api: driver,
        exec: execCommand,
        link,
        readMounts: async () => [],
        logger: undefined as never,
        instanceId: 'node-a',
        mountRoot: world.mountRoot('node-a'),
      };
      await expect(execute({ kind: 'create-filesystem', datasetId, device }, deps)).rejects.toMatchObject({
        code: 'DEVICE_HOLDS_DATA',
      });
      expect(await fingerprint(device)).toBe(before);
    });
  });

  it('a volume is never attached on two nodes, even when their configurations disagree', async () => {
    const b = await LoopbackDriver.open({
      root_path: world.root,
      compute_instance_id: 'node-b',
      allocation_unit: MIB,
    });
    const linkB = new MemoryLink('node-b');
    const agentB = new DatasetAgent({ api: b, link: linkB, mountRoot: world.mountRoot('node-b') });
    link.want(datasetId, 'node-a', { maximumSize: SIZE });
    linkB.want(datasetId, 'node-b', { maximumSize: SIZE });
    for (let round = 0; round < 8; round += 1) {
      await Promise.all([agent.round(), agentB.round()]);
      const volumes = await driver.listVolumes();
      expect(volumes.length).toBeLessThanOrEqual(1);
      expect((await world.loopDevices()).length).toBeLessThanOrEqual(1);
      expect((await world.mounts()).length).toBeLessThanOrEqual(1);
    }
    const [volume] = await driver.listVolumes();
    const holder = volume?.attachedTo;
    expect(['node-a', 'node-b']).toContain(holder);
    expect(await world.mounts()).toEqual([world.mountPath(holder ?? '', datasetId)]);
    const loser = holder === 'node-a' ? linkB : link;
    expect(loser.reports.at(-1)?.datasets).toEqual([
      expect.objectContaining({ state: 'ATTACHED_ELSEWHERE' }),
    ]);
  });

  describe('a mounted device is never detached', () => {
    beforeEach(async () => {
      link.want(datasetId, 'node-a', { maximumSize: SIZE });
      expect((await agent.converge()).failed).toEqual([]);
    });

    it('a busy mount fails the round, stays mounted and attached, and goes the round after it is let go', async () => {
      const sum = await writeData(world.mountPath('node-a', datasetId), 'busy.bin', 'in use');
      const handle = await open(join(world.mountPath('node-a', datasetId), 'busy.bin'), 'r');
      link.want(datasetId, 'node-b');
      try {
        for (let round = 0; round < 3; round += 1) {
          const result = await agent.round();
          expect(result.failed.map((f) => f.change.kind)).toEqual(['unmount']);
          expect(await world.mounts()).toEqual([world.mountPath('node-a', datasetId)]);
          expect((await driver.listVolumes())[0]?.attachedTo).toBe('node-a');
        }
      } finally {
        await handle.close();
      }
      expect((await agent.converge()).failed).toEqual([]);
      expect(await world.mounts()).toEqual([]);
      expect((await driver.listVolumes())[0]?.attachedTo).toBeNull();
      const b = await LoopbackDriver.open({
        root_path: world.root,
        compute_instance_id: 'node-b',
        allocation_unit: MIB,
      });
      const linkB = new MemoryLink('node-b');
      linkB.want(datasetId, 'node-b');
      expect(
        (await new DatasetAgent({ api: b, link: linkB, mountRoot: world.mountRoot('node-b') }).converge())
          .failed,
      ).toEqual([]);
      expect(await readChecksum(world.mountPath('node-b', datasetId), 'busy.bin')).toBe(sum);
    });

    it('mounted at another path too: neither unmounted, detached nor mounted again, and reported', async () => {
      const device = await driver.getDevicePath(`block-${datasetId}`);
      const other = join(world.dir, 'someone-else');
      await mkdir(other);
      await mount(execCommand, device, other);
      try {
        link.want(datasetId, 'node-b');
        const result = await agent.converge();
        expect(result.failed).toEqual([]);
        expect(result.last.problems.map((p) => p.code)).toEqual(['MOUNTED_OTHER_PATH']);
        expect((await world.mounts()).sort()).toEqual([world.mountPath('node-a', datasetId), other].sort());
        expect((await driver.listVolumes())[0]?.attachedTo).toBe('node-a');
        // Only the other mount left: still never detached, and never mounted a second time when wanted here.
        await unmount(execCommand, world.mountPath('node-a', datasetId));
        for (const primary of ['node-b', 'node-a']) {
          link.want(datasetId, primary);
          const again = await agent.converge();
          expect(again.last.problems.map((p) => p.code)).toEqual(['MOUNTED_OTHER_PATH']);
          expect(await world.mounts()).toEqual([other]);
          expect((await driver.listVolumes())[0]?.attachedTo).toBe('node-a');
        }
      } finally {
        await unmount(execCommand, other).catch(() => {});
      }
    });

    it('the detach executor checks mountinfo itself and refuses a mounted device before calling the driver', async () => {
      const device = await driver.getDevicePath(`block-${datasetId}`);
      const { readMountInfo } = await import('@flockerjs/linux-block');
      const deps = {
        api: driver,
        exec: execCommand,
        link,
        readMounts: readMountInfo,
        logger: undefined as never,
        instanceId: 'node-a',
        mountRoot: world.mountRoot('node-a'),
      };
      await expect(
        execute({ kind: 'detach-volume', datasetId, blockDeviceId: `block-${datasetId}`, device }, deps),
      ).rejects.toMatchObject({ code: 'DEVICE_MOUNTED' });
      expect((await driver.listVolumes())[0]?.attachedTo).toBe('node-a');
    });
  });

  it('a device path that is no block device is ignored and reported, and nothing is done with it', async () => {
    const fake = join(world.dir, 'not-a-device');
    await writeFile(fake, 'x');
    const lying = new Proxy(driver, {
      get: (target, property) => {
        if (property === 'getDevicePath') return async () => fake;
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as IBlockDeviceAPI;
    const liar = node('node-a', lying);
    const liarAgent = liar.agent(lying);
    liar.link.want(datasetId, 'node-a', { maximumSize: SIZE });
    const result = await liarAgent.converge();
    expect(result.failed).toEqual([]);
    expect(result.last.problems.map((p) => p.code)).toEqual(['NO_DEVICE']);
    expect(await world.mounts()).toEqual([]);
    expect((await driver.listVolumes())[0]?.attachedTo).toBe('node-a');
  });
});
