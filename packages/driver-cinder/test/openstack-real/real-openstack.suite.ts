import { randomUUID } from 'node:crypto';
import {
  type IBlockDeviceAPI,
  MANDATORY_PROFILES,
  silentLogger,
  systemClock,
} from '@flockerjs/core-interface';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CinderConfig,
  CinderDriver,
  CLUSTER_ID_LABEL,
  configSchema,
  DATASET_ID_LABEL,
  GIB,
  OpenStackSession,
  PkgcloudCinderClient,
  sendHttp,
  VOLUME_NAME_PREFIX,
} from '../../src/index.js';

// Against the real services of tooling/openstack-real (Keystone 22, Cinder 21 with the NFS driver, Nova 26 with
// the fake virt driver). Defaults are what its setup.sh configures; OS_* variables override them.
const env = process.env;
const AUTH_URL = env.OS_AUTH_URL ?? 'http://127.0.0.1:5000/v3';
const PROFILE_TYPES = {
  gold: 'flockerjs-gold',
  silver: 'flockerjs-silver',
  bronze: 'flockerjs-bronze',
  default: 'nfs',
};
const DEVICE_LEVEL_NOTE =
  'device-level cases (getDevicePath, data on the device, the acceptance run) are not run here: Nova\u2019s fake ' +
  'virt driver attaches no device to this host. They run against the emulator (npm test).';

function config(overrides: Record<string, unknown> = {}): CinderConfig {
  return configSchema.parse({
    region: env.OS_REGION_NAME ?? 'RegionOne',
    auth_url: AUTH_URL,
    username: env.OS_USERNAME ?? 'admin',
    password: env.OS_PASSWORD ?? 'adminpass',
    project_name: env.OS_PROJECT_NAME ?? 'admin',
    user_domain_name: env.OS_USER_DOMAIN_NAME ?? 'Default',
    project_domain_name: env.OS_PROJECT_DOMAIN_NAME ?? 'Default',
    volume_types: PROFILE_TYPES,
    instance_id_sources: ['nova-addresses'],
    timeouts: {
      create_ms: 60_000,
      attach_ms: 90_000,
      detach_ms: 90_000,
      destroy_ms: 60_000,
      device_ms: 2_000,
    },
    ...overrides,
  });
}

const session = new OpenStackSession(
  config(),
  { verify: true },
  { send: sendHttp, clock: systemClock, logger: silentLogger },
);
const made = new Set<string>();
let serverId = '';
let bootVolume = '';

/** One of our typed requests to the real cloud, for setup and for reading what the driver did. */
async function call(
  service: 'volume' | 'compute',
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
) {
  const response = await session.request(
    `test:${method} ${path}`,
    service,
    { method, path, body },
    method !== 'POST',
  );
  return response.body as Record<string, unknown>;
}

async function volumeStatus(id: string): Promise<string> {
  return ((await call('volume', 'GET', `/volumes/${id}`)).volume as { status: string }).status;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function open(
  clusterId = randomUUID(),
  overrides: Record<string, unknown> = {},
): Promise<IBlockDeviceAPI> {
  const api = await CinderDriver.open(config({ instance_id: serverId, ...overrides }), { clusterId });
  // Track what each test makes, so that afterAll removes it even when an assertion failed.
  const create = api.createVolumeWithProfile.bind(api);
  api.createVolumeWithProfile = async (...args) => {
    const volume = await create(...args);
    made.add(volume.blockDeviceId);
    return volume;
  };
  return api;
}

beforeAll(async () => {
  console.log(`real OpenStack at ${AUTH_URL}; ${DEVICE_LEVEL_NOTE}`);
  // A boot-from-volume server with the fake virt driver (no image, no network), as NOTES §5 of the recipe.
  const boot = await call('volume', 'POST', '/volumes', { volume: { size: 1, name: 'flockerjs-real-boot' } });
  bootVolume = (boot.volume as { id: string }).id;
  await until('the boot volume', async () => (await volumeStatus(bootVolume)) === 'available');
  await call('volume', 'POST', `/volumes/${bootVolume}/action`, { 'os-set_bootable': { bootable: true } });
  const flavors = (await call('compute', 'GET', '/flavors')).flavors as { id: string; name: string }[];
  const flavor = flavors.find((candidate) => candidate.name === 'tiny');
  const created = await session.request(
    'test:create-server',
    'compute',
    {
      method: 'POST',
      path: '/servers',
      // `networks: "none"` needs microversion 2.37 or later.
      headers: { 'OpenStack-API-Version': 'compute 2.67' },
      body: {
        server: {
          name: 'flockerjs-real-node',
          flavorRef: flavor?.id,
          networks: 'none',
          block_device_mapping_v2: [
            { uuid: bootVolume, source_type: 'volume', destination_type: 'volume', boot_index: 0 },
          ],
        },
      },
    },
    false,
  );
  serverId = (created.body as { server: { id: string } }).server.id;
  await until('the server to be ACTIVE', async () => {
    const server = (await call('compute', 'GET', `/servers/${serverId}`)).server as { status: string };
    if (server.status === 'ERROR') throw new Error('the server went to ERROR');
    return server.status === 'ACTIVE';
  });
}, 180_000);

afterAll(async () => {
  for (const id of made) {
    const status = await volumeStatus(id).catch(() => undefined);
    if (status === undefined) continue;
    if (status === 'in-use')
      await call('compute', 'DELETE', `/servers/${serverId}/os-volume_attachments/${id}`).catch(
        () => undefined,
      );
    await until(`volume ${id} to be deletable`, async () => (await volumeStatus(id)) === 'available').catch(
      () => undefined,
    );
    await call('volume', 'DELETE', `/volumes/${id}`).catch(() => undefined);
  }
  if (serverId !== '') {
    await call('compute', 'DELETE', `/servers/${serverId}`).catch(() => undefined);
    await until(
      'the server to go',
      async () =>
        await call('compute', 'GET', `/servers/${serverId}`).then(
          () => false,
          () => true,
        ),
    );
  }
  if (bootVolume !== '') {
    await until('the boot volume to be free', async () => (await volumeStatus(bootVolume)) === 'available');
    await call('volume', 'DELETE', `/volumes/${bootVolume}`);
  }
  const left: string[] = [];
  for (const id of [...made, bootVolume])
    if (
      await volumeStatus(id).then(
        () => true,
        () => false,
      )
    )
      left.push(id);
  await until(
    'every test volume to be deleted',
    async () => {
      const still = await Promise.all(
        left.map((id) =>
          volumeStatus(id).then(
            () => true,
            () => false,
          ),
        ),
      );
      return !still.some(Boolean);
    },
    60_000,
  );
}, 300_000);

describe('openstack driver against real Keystone, Cinder and Nova', () => {
  it('createVolume() makes an available volume with its name and metadata in one request', async () => {
    const clusterId = randomUUID();
    const api = await open(clusterId);
    const datasetId = randomUUID();
    const volume = await api.createVolume(datasetId, GIB);
    expect(volume).toMatchObject({ datasetId, size: GIB, attachedTo: null });
    const raw = (await call('volume', 'GET', `/volumes/${volume.blockDeviceId}`)).volume as Record<
      string,
      unknown
    >;
    expect(raw).toMatchObject({
      status: 'available',
      size: 1,
      name: `${VOLUME_NAME_PREFIX}${datasetId}`,
      volume_type: 'nfs',
      metadata: { [CLUSTER_ID_LABEL]: clusterId, [DATASET_ID_LABEL]: datasetId },
    });
    await api.destroyVolume(volume.blockDeviceId);
    await expect(api.destroyVolume(volume.blockDeviceId)).rejects.toMatchObject({ code: 'UNKNOWN_VOLUME' });
    expect(await api.listVolumes()).toEqual([]);
  });

  it('listVolumes() pages through the cluster\u2019s volumes and sees no other cluster\u2019s', async () => {
    const clusterId = randomUUID();
    const api = await open(clusterId);
    const other = await open();
    const mine = await Promise.all(Array.from({ length: 5 }, () => api.createVolume(randomUUID(), GIB)));
    const theirs = await other.createVolume(randomUUID(), GIB);
    const sort = <T extends { blockDeviceId: string }>(list: readonly T[]) =>
      [...list].sort((a, b) => a.blockDeviceId.localeCompare(b.blockDeviceId));
    expect(sort(await api.listVolumes())).toEqual(sort(mine));
    // Pages of two: real Cinder's limit, marker and metadata filter over three requests.
    const paged = await new PkgcloudCinderClient(session, 2).listVolumes({
      metadata: { [CLUSTER_ID_LABEL]: clusterId },
    });
    expect(paged.map((volume) => volume.id).sort()).toEqual(
      mine.map((volume) => volume.blockDeviceId).sort(),
    );
    await expect(api.attachVolume(theirs.blockDeviceId, serverId)).rejects.toMatchObject({
      code: 'UNKNOWN_VOLUME',
    });
    await expect(api.destroyVolume(theirs.blockDeviceId)).rejects.toMatchObject({ code: 'UNKNOWN_VOLUME' });
    for (const volume of [...mine]) await api.destroyVolume(volume.blockDeviceId);
    await other.destroyVolume(theirs.blockDeviceId);
  });

  it('attachVolume() and detachVolume() go through real Nova', async () => {
    const api = await open();
    const volume = await api.createVolume(randomUUID(), GIB);
    const attached = await api.attachVolume(volume.blockDeviceId, serverId);
    expect(attached).toEqual({ ...volume, attachedTo: serverId });
    expect(await api.listVolumes()).toEqual([attached]);
    expect(await volumeStatus(volume.blockDeviceId)).toBe('in-use');
    await expect(api.attachVolume(volume.blockDeviceId, serverId)).rejects.toMatchObject({
      code: 'ALREADY_ATTACHED',
    });
    await expect(api.destroyVolume(volume.blockDeviceId)).rejects.toMatchObject({ code: 'ALREADY_ATTACHED' });
    await api.detachVolume(volume.blockDeviceId);
    expect(await api.listVolumes()).toEqual([volume]);
    await expect(api.detachVolume(volume.blockDeviceId)).rejects.toMatchObject({ code: 'UNATTACHED' });
    await expect(api.getDevicePath(volume.blockDeviceId)).rejects.toMatchObject({ code: 'UNATTACHED' });
    await api.destroyVolume(volume.blockDeviceId);
  });

  it('unknown volumes are UNKNOWN_VOLUME to every call', async () => {
    const api = await open();
    const unknown = randomUUID();
    for (const call of [
      () => api.attachVolume(unknown, serverId),
      () => api.detachVolume(unknown),
      () => api.destroyVolume(unknown),
      () => api.getDevicePath(unknown),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: 'UNKNOWN_VOLUME', blockDeviceId: unknown });
    }
  });

  it('instance id through real Nova: the override is a live server; address matching says why it fails', async () => {
    const api = await open();
    expect(await api.computeInstanceId()).toBe(serverId);
    expect(await (api as CinderDriver).listLiveNodes()).toContain(serverId);
    // The fake driver's servers have no addresses (networks: none), so no address can match this host.
    const discovering = await CinderDriver.open(config(), { clusterId: randomUUID() });
    await expect(discovering.computeInstanceId()).rejects.toMatchObject({
      code: 'UNKNOWN_INSTANCE_ID',
      message: expect.stringMatching(/nova-addresses: none of \d+ ACTIVE servers/),
    });
  });

  it('createVolumeWithProfile() creates a volume of the mapped type for every mandatory profile', async () => {
    const api = (await open()) as CinderDriver;
    for (const profile of MANDATORY_PROFILES) {
      const volume = await api.createVolumeWithProfile(randomUUID(), GIB, profile);
      const raw = (await call('volume', 'GET', `/volumes/${volume.blockDeviceId}`)).volume as {
        volume_type: string;
      };
      expect(raw.volume_type, profile).toBe(PROFILE_TYPES[profile]);
      await api.destroyVolume(volume.blockDeviceId);
    }
    await expect(api.createVolumeWithProfile(randomUUID(), GIB, 'platinum')).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
    });
  });
});
