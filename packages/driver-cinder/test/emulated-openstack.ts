import { randomUUID } from 'node:crypto';
import {
  type EmulatedServer,
  type OpenStackEmulator,
  type OpenStackEmulatorOptions,
  openstackDatasetKeys,
  startOpenStackEmulator,
} from '@flockerjs/cloud-emulator';
import { describeBlockDeviceAPI, type InspectedVolume } from '@flockerjs/conformance';
import { waitFor } from '@flockerjs/core-interface';
import { afterAll, beforeAll, expect } from 'vitest';
import {
  type CinderConfig,
  type CinderContext,
  CinderDriver,
  configSchema,
  DATASET_ID_LABEL,
  FLOCKER_BACKEND,
  GIB,
} from '../src/index.js';

/** Profiles map to these types in the emulator, as tooling/openstack-real's setup.sh makes them in real Cinder. */
export const PROFILE_TYPES = {
  gold: 'flockerjs-gold',
  silver: 'flockerjs-silver',
  bronze: 'flockerjs-bronze',
};

/** Short transitions keep the suite quick; every one is still a real state change with a real loop device. */
export const FAST_TIMINGS = {
  createMs: 50,
  attachMs: 60,
  detachMs: 60,
  deleteMs: 30,
  instanceMs: 50,
} as const;
/** The emulated Cinder's `osapi_max_limit` in conformance runs: a few volumes already span pages. */
export const CONFORMANCE_PAGE_LIMIT = 5;

export async function startEmulator(options: OpenStackEmulatorOptions = {}): Promise<OpenStackEmulator> {
  return startOpenStackEmulator({
    servers: [{ name: 'node-a' }, { name: 'node-b' }],
    volumeTypes: Object.values(PROFILE_TYPES),
    timings: FAST_TIMINGS,
    ...options,
  });
}

/** The agent.yml keys of a node that is `server`, parsed. */
export function configFor(
  emulator: OpenStackEmulator,
  server: EmulatedServer,
  overrides: Partial<Record<string, unknown>> = {},
): CinderConfig {
  return configSchema.parse(agentYmlFor(emulator, server, overrides));
}

/** The agent.yml keys of a node that is `server`, as its operator would write them. */
export function agentYmlFor(
  emulator: OpenStackEmulator,
  server: EmulatedServer,
  overrides: Partial<Record<string, unknown>> = {},
): Record<string, unknown> {
  return {
    ...openstackDatasetKeys(emulator, server),
    volume_types: PROFILE_TYPES,
    timeouts: {
      create_ms: 120_000,
      attach_ms: 120_000,
      detach_ms: 120_000,
      destroy_ms: 120_000,
      device_ms: 120_000,
    },
    ...overrides,
  };
}

/** A driver on `server`, in a new cluster unless the context names one; `config` overrides agent.yml keys. */
export async function openDriver(
  emulator: OpenStackEmulator,
  server: EmulatedServer,
  options: { readonly config?: Partial<Record<string, unknown>> } & CinderContext = {},
): Promise<CinderDriver> {
  const { config, ...context } = options;
  return CinderDriver.open(configFor(emulator, server, config), { clusterId: randomUUID(), ...context });
}

/** The conformance back door: the volume as the emulator holds it, without the driver. */
export function inspector(emulator: OpenStackEmulator): (id: string) => Promise<InspectedVolume | undefined> {
  const profiles = new Map(Object.entries(PROFILE_TYPES).map(([profile, type]) => [type, profile]));
  return async (id) => {
    const volume = emulator.describeVolume(id);
    if (volume === undefined || volume.status === 'deleting') return undefined;
    return {
      size: volume.sizeGiB * GIB,
      attachedTo: volume.status === 'in-use' ? volume.serverId : null,
      datasetId: volume.metadata[DATASET_ID_LABEL] ?? '',
      profile: profiles.get(volume.volumeType),
    };
  };
}

export const ROOT_REQUIRED =
  'the emulator attaches volumes with real loop devices (losetup, mknod), which only root may make';
export const skipUnlessRoot = process.getuid?.() === 0 ? undefined : ROOT_REQUIRED;

/**
 * Stops the emulator after checking that the suite left nothing behind: no volume (deleted ones aside), no
 * failed background device work. The emulator's stop then removes its loop devices; any left would be its bug.
 */
export async function stopAndCheck(emulator: OpenStackEmulator | undefined): Promise<void> {
  if (emulator === undefined) return;
  await emulator.fabric.settle();
  const left = emulator.fabric
    .volumes()
    .filter((volume) => volume.state !== 'deleted' && volume.state !== 'deleting');
  const errors = [...emulator.fabric.backgroundErrors];
  await emulator.stop();
  expect(
    left.map((volume) => `${volume.id} (${volume.state})`),
    'volumes left in the emulator',
  ).toEqual([]);
  expect(errors, 'failed device work in the emulator').toEqual([]);
}

/** The emulator's `index`-th server; a test asking for one that does not exist is a bug in the test. */
export function serverAt(emulator: OpenStackEmulator, index: number): EmulatedServer {
  const server = emulator.servers[index];
  if (server === undefined) throw new Error(`the emulator has no server ${index}`);
  return server;
}

/**
 * Runs the whole conformance suite on the emulator's first server, each test in a cluster of its own, and
 * checks when the file ends that nothing was left behind. Returns the emulator, for checks a file adds.
 */
export function describeEmulatedConformance(
  name: string,
  options: OpenStackEmulatorOptions = {},
): () => OpenStackEmulator {
  let emulator: OpenStackEmulator | undefined;
  const running = (): OpenStackEmulator => {
    if (emulator === undefined) throw new TypeError('the emulator is not running');
    return emulator;
  };
  beforeAll(async () => {
    emulator = await startEmulator({
      pageLimit: CONFORMANCE_PAGE_LIMIT,
      devices: skipUnlessRoot === undefined,
      ...options,
    });
  });
  afterAll(() => stopAndCheck(emulator));
  describeBlockDeviceAPI({
    // Sizes and the unknown id from FLOCKER_BACKEND's hints, as flocker-certify takes them.
    backend: FLOCKER_BACKEND,
    name,
    // Each test gets a cluster of its own: the same cloud, a new cluster id.
    factory: () => openDriver(running(), serverAt(running(), 0), { clusterId: randomUUID() }),
    inspect: (id) => inspector(running())(id),
    otherNodeId: () => serverAt(running(), 1).id,
    listPageSize: options.pageLimit ?? CONFORMANCE_PAGE_LIMIT,
    stopNode: async (nodeId) => {
      running().fabric.stopInstance(nodeId);
      return async () => {
        running().fabric.startInstance(nodeId);
        await until(() => running().fabric.instance(nodeId)?.state === 'running', `server ${nodeId} to run`);
      };
    },
    // A started server is SHUTOFF until its boot ends: a listing may show it a moment later.
    consistency: { attempts: 20, intervalMs: 100 },
    withoutDevices: skipUnlessRoot,
  });
  return running;
}

/** Waits until `check` holds, polling; bounded by a limit sized for a loaded machine, never a fixed sleep. */
export async function until(check: () => boolean | Promise<boolean>, what = 'the condition'): Promise<void> {
  await waitFor({
    what,
    timeoutMs: 30_000,
    intervalMs: 20,
    factor: 1.5,
    maxIntervalMs: 500,
    poll: async () =>
      (await check()) ? { done: true, value: undefined } : { done: false, state: undefined },
  });
}
