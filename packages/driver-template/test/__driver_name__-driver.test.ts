// Unit tests that need no root: volumes are attached to another host, so no loop device is made, and device
// discovery runs over recorded losetup output. TODO(driver-author): add tests for your client's translation of
// the storage system's errors, and for anything your driver does beyond the contract.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBlockDeviceAPI, hasCode } from '@flockerjs/core-interface';
import { afterEach, describe, expect, it } from 'vitest';
import FLOCKER_BACKEND, {
  __DriverName__Driver,
  CLUSTER_ID_KEY,
  configSchema,
  DATASET_ID_KEY,
  type Exec,
  InMemoryStorage,
} from '../src/index.js';

const MiB = 1024 * 1024;
const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function setUp(exec?: Exec) {
  const backingDir = await mkdtemp(join(tmpdir(), 'flockerjs-__driver_name__-unit-'));
  dirs.push(backingDir);
  const storage = new InMemoryStorage({
    backingDir,
    hostInstanceId: 'this-host',
    ...(exec === undefined ? {} : { exec }),
  });
  const open = (clusterId = randomUUID()) =>
    __DriverName__Driver.open(
      configSchema.parse({ backing_dir: backingDir, compute_instance_id: 'this-host' }),
      {
        clusterId,
        client: storage,
        ...(exec === undefined ? {} : { exec }),
      },
    );
  return { storage, open, backingDir };
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(hasCode(error, code as never), `expected ${code}, got ${String(error)}`).toBe(true);
}

describe('__DriverName__Driver', () => {
  it('records the cluster and the dataset in the volume metadata', async () => {
    const { storage, open } = await setUp();
    const clusterId = randomUUID();
    const datasetId = randomUUID();
    const volume = await (await open(clusterId)).createVolume(datasetId, 4 * MiB);
    expect(storage.peek(volume.blockDeviceId)?.metadata).toEqual({
      [CLUSTER_ID_KEY]: clusterId,
      [DATASET_ID_KEY]: datasetId,
    });
    expect(volume).toEqual({
      blockDeviceId: volume.blockDeviceId,
      size: 4 * MiB,
      attachedTo: null,
      datasetId,
    });
  });

  it("neither lists nor touches another cluster's volumes in the same storage", async () => {
    const { open } = await setUp();
    const mine = await open();
    const theirs = await open();
    const volume = await theirs.createVolume(randomUUID(), MiB);
    expect(await mine.listVolumes()).toEqual([]);
    await rejectsWith(mine.attachVolume(volume.blockDeviceId, 'other-host'), 'UNKNOWN_VOLUME');
    await rejectsWith(mine.destroyVolume(volume.blockDeviceId), 'UNKNOWN_VOLUME');
    expect(await theirs.listVolumes()).toEqual([volume]);
  });

  it('attaches to another host without a device here, and refuses a second attach', async () => {
    const { open } = await setUp();
    const driver = await open();
    const volume = await driver.createVolume(randomUUID(), MiB);
    const attached = await driver.attachVolume(volume.blockDeviceId, 'other-host');
    expect(attached.attachedTo).toBe('other-host');
    await rejectsWith(driver.attachVolume(volume.blockDeviceId, 'this-host'), 'ALREADY_ATTACHED');
    await rejectsWith(driver.getDevicePath(volume.blockDeviceId), 'UNATTACHED');
    await rejectsWith(driver.destroyVolume(volume.blockDeviceId), 'ALREADY_ATTACHED');
    await driver.detachVolume(volume.blockDeviceId);
    await rejectsWith(driver.detachVolume(volume.blockDeviceId), 'UNATTACHED');
    await driver.destroyVolume(volume.blockDeviceId);
    expect(await driver.listVolumes()).toEqual([]);
  });

  it('keeps one volume per dataset: a second createVolume is refused with DATASET_EXISTS', async () => {
    const driver = await (await setUp()).open();
    const datasetId = randomUUID();
    const volume = await driver.createVolume(datasetId, MiB);
    await rejectsWith(driver.createVolume(datasetId, MiB), 'DATASET_EXISTS');
    expect(await driver.listVolumes()).toEqual([volume]);
  });

  it('refuses sizes that are not a multiple of the allocation unit, and dataset ids that are not UUIDs', async () => {
    const driver = await (await setUp()).open();
    await rejectsWith(driver.createVolume(randomUUID(), MiB + 1), 'INVALID_SIZE');
    await rejectsWith(driver.createVolume('not-a-uuid', MiB), 'INVALID_ID');
    expect(await driver.listVolumes()).toEqual([]);
  });

  it("getDevicePath() finds the disk by its serial in losetup's listing", async () => {
    const listing = (file: string) =>
      JSON.stringify({
        loopdevices: [
          { name: '/dev/loop3', 'back-file': '/elsewhere/vol-other' },
          { name: '/dev/loop7', 'back-file': file },
        ],
      });
    let backing = '';
    const exec: Exec = async (file, args) => {
      expect(file).toBe('losetup');
      // The stand-in presents the disk with --find; discovery then lists devices.
      if (args.includes('--find')) return { stdout: '/dev/loop7\n', stderr: '' };
      return { stdout: listing(backing), stderr: '' };
    };
    const { open, backingDir } = await setUp(exec);
    const driver = await open();
    const volume = await driver.createVolume(randomUUID(), MiB);
    backing = join(backingDir, volume.blockDeviceId);
    await driver.attachVolume(volume.blockDeviceId, 'this-host');
    expect(await driver.getDevicePath(volume.blockDeviceId)).toBe('/dev/loop7');
  });
});

describe('FLOCKER_BACKEND', () => {
  it('validates its keys and needs the cluster id', async () => {
    const configDir = tmpdir();
    const dataset = { backend: '__driver_name__', compute_instance_id: 'this-host' };
    const api = await createBlockDeviceAPI(FLOCKER_BACKEND, dataset, { configDir, clusterId: randomUUID() });
    expect(await api.computeInstanceId()).toBe('this-host');
    await rejectsWith(createBlockDeviceAPI(FLOCKER_BACKEND, dataset, { configDir }), 'INVALID_CONFIG');
    await rejectsWith(
      createBlockDeviceAPI(
        FLOCKER_BACKEND,
        { ...dataset, backing_dir: 'relative' },
        { configDir, clusterId: randomUUID() },
      ),
      'INVALID_CONFIG',
    );
  });
});
