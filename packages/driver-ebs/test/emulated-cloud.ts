import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import {
  type CloudEmulator,
  type EmulatedInstance,
  ec2DatasetKeys,
  loopDevicesUnder,
  startCloudEmulator,
} from '@flockerjs/cloud-emulator';
import { type ApiFactory, describeBlockDeviceAPI, type InspectedVolume } from '@flockerjs/conformance';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  AwsEbsDriver,
  configSchema,
  DATASET_ID_TAG,
  DEFAULT_PROFILES,
  type EbsConfigInput,
  FLOCKER_BACKEND,
  GIB,
  PROFILE_TAG,
  type ProfileConfig,
  volumeParameters,
} from '../src/index.js';

/** Transition times of the conformance runs: short, but long enough that every wait really waits. */
export const TEST_TIMINGS = { createMs: 60, attachMs: 50, detachMs: 40, deleteMs: 30 } as const;
export { EC2_EMULATOR_CREDENTIALS as EMULATOR_CREDENTIALS } from '@flockerjs/cloud-emulator';

/** The emulated instance at `index`; a missing one is a broken test setup. */
export function instanceOf(emulator: CloudEmulator, index = 0): EmulatedInstance {
  const instance = emulator.instances[index];
  if (instance === undefined) throw new TypeError(`the emulator has no instance ${index}`);
  return instance;
}

/** The `dataset` section that points the driver at the emulator and one emulated instance. */
export function emulatorConfig(
  emulator: CloudEmulator,
  instance: EmulatedInstance,
  overrides: Partial<EbsConfigInput> = {},
): EbsConfigInput {
  return {
    ...ec2DatasetKeys(emulator, instance),
    // Bounds sized for a loaded machine, far below the defaults: no test waits out a default timeout.
    timeouts: {
      create_ms: 120_000,
      attach_ms: 120_000,
      detach_ms: 120_000,
      destroy_ms: 120_000,
      device_ms: 120_000,
    },
    imds_timeout_ms: 10_000,
    ...overrides,
  };
}

/** A factory of drivers on `instance`, each with a cluster id of its own: isolated by tags, as clusters are. */
export function emulatedFactory(
  emulator: () => CloudEmulator,
  instance: () => EmulatedInstance,
  overrides: Partial<EbsConfigInput> = {},
): ApiFactory {
  return () =>
    AwsEbsDriver.open(configSchema.parse(emulatorConfig(emulator(), instance(), overrides)), {
      clusterId: randomUUID(),
    });
}

/**
 * The conformance back door: the fabric's own record of a volume, not what EC2 or the driver says. Its profile
 * is the one tagged, when the volume's type is what that profile makes at that size (a driver that tags one
 * profile and creates another type has none).
 */
export function inspectFabric(emulator: () => CloudEmulator) {
  return async (blockDeviceId: string): Promise<InspectedVolume | undefined> => {
    const volume = emulator().fabric.volume(blockDeviceId);
    if (volume === undefined || volume.state === 'deleting' || volume.state === 'deleted') return undefined;
    const tagged = volume.tags.get(PROFILE_TAG);
    const profiles: Readonly<Record<string, ProfileConfig>> = DEFAULT_PROFILES;
    const profile = tagged === undefined ? undefined : profiles[tagged];
    const holds =
      profile !== undefined && volumeParameters(profile, volume.sizeGiB).volumeType === volume.volumeType;
    return {
      size: volume.sizeGiB * GIB,
      attachedTo: volume.attachment?.instanceId ?? null,
      datasetId: volume.tags.get(DATASET_ID_TAG) ?? '',
      ...(holds ? { profile: tagged } : {}),
    };
  };
}

export const unknownVolumeId = (): string => `vol-${randomBytes(9).toString('hex').slice(0, 17)}`;

/** Loop devices need root; without it the emulator runs device-less and the tests that need a device say so. */
export const ROOT_REQUIRED =
  'the EC2 emulator attaches volumes as real loop devices (losetup, mknod), which only root may do';
export const skipUnlessRoot = (): string | undefined =>
  process.getuid?.() === 0 ? undefined : ROOT_REQUIRED;

/**
 * What a run left in the emulator: volumes not being deleted, loop devices backed by its files, failed
 * background device work. All three must be empty after a suite.
 */
export async function leftovers(
  emulator: CloudEmulator,
): Promise<{ volumes: string[]; loopDevices: string[]; errors: unknown[] }> {
  await emulator.fabric.settle();
  const exec = promisify(execFile);
  return {
    volumes: emulator.fabric
      .volumes()
      .filter((volume) => volume.state !== 'deleting')
      .map((volume) => volume.id),
    loopDevices: await loopDevicesUnder(
      (file, args) => exec(file, [...args], { encoding: 'utf8' }),
      emulator.fabric.stateDir,
    ),
    errors: [...emulator.fabric.backgroundErrors],
  };
}

/**
 * Runs the whole conformance suite on the first emulated instance (a second one, added in the same zone, is
 * the other node), then checks that the run left nothing behind. Returns the emulator, for checks a file adds
 * after the suite.
 */
export function describeEmulatedConformance(
  name: string,
  options: Parameters<typeof startCloudEmulator>[0],
): () => CloudEmulator {
  let emulator: CloudEmulator | undefined;
  const running = (): CloudEmulator => {
    if (emulator === undefined) throw new TypeError('the emulator is not running');
    return emulator;
  };
  beforeAll(async () => {
    const instances = options?.instances ?? [{}];
    emulator = await startCloudEmulator({
      ...options,
      devices: skipUnlessRoot() === undefined,
      instances: [...instances, { ...instances[0] }],
    });
  });
  afterAll(() => emulator?.stop());
  describeBlockDeviceAPI({
    // Sizes and the unknown id from FLOCKER_BACKEND's hints, as flocker-certify takes them.
    backend: FLOCKER_BACKEND,
    name,
    // Pages of five: listings of the suite really page, as a cluster's listing does past 500 volumes.
    factory: emulatedFactory(running, () => instanceOf(running(), 0), { page_size: 5 }),
    inspect: inspectFabric(running),
    otherNodeId: () => instanceOf(running(), 1).id,
    listPageSize: 5,
    stopNode: async (nodeId) => {
      running().fabric.stopInstance(nodeId);
      return async () => {
        running().fabric.startInstance(nodeId);
      };
    },
    withoutDevices: skipUnlessRoot(),
    // EC2 is eventually consistent, and a started instance is `pending` before it runs: listings are retried.
    consistency: { attempts: 20, intervalMs: 100 },
  });
  it(`${name} leaves no volume, loop device or failed device work behind`, async () => {
    expect(await leftovers(running())).toEqual({ volumes: [], loopDevices: [], errors: [] });
  });
  return running;
}
