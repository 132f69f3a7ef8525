import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { cinderAsDemo, type OpenStackEmulator } from '@flockerjs/cloud-emulator';
import { createLogger, type LogEntry } from '@flockerjs/core-interface';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CinderDriver, CLUSTER_ID_LABEL, GIB, VOLUME_NAME_PREFIX } from '../src/index.js';
import {
  configFor,
  openDriver,
  serverAt,
  skipUnlessRoot,
  startEmulator,
  stopAndCheck,
  until,
} from './emulated-openstack.js';

// Driver behaviour beyond the conformance suite, against the emulator through real pkgcloud and HTTP. The
// emulator makes no devices here (as any user may run it); the config drive, a real filesystem, needs root.
let emulator: OpenStackEmulator;
beforeAll(async () => {
  emulator = await startEmulator({
    devices: skipUnlessRoot === undefined,
    servers: [
      { name: 'node-a', addresses: ['192.0.2.10'] },
      { name: 'node-b', addresses: ['192.0.2.11', '2001:db8::11'] },
      { name: 'node-c', configDrive: skipUnlessRoot === undefined },
    ],
  });
});
afterAll(async () => {
  await stopAndCheck(emulator);
});
const server = (index: number) => serverAt(emulator, index);

describe('openstack driver (emulated)', () => {
  it('createVolume() sends metadata and name in the create request itself', async () => {
    const api = await openDriver(emulator, server(0));
    const datasetId = randomUUID();
    const volume = await api.createVolume(datasetId, GIB);
    expect(emulator.describeVolume(volume.blockDeviceId)).toMatchObject({
      name: `${VOLUME_NAME_PREFIX}${datasetId}`,
      metadata: { 'flocker-dataset-id': datasetId, [CLUSTER_ID_LABEL]: expect.any(String) },
    });
    await api.destroyVolume(volume.blockDeviceId);
  });

  it('a create whose reply was lost is found, not made twice', async () => {
    const clusterId = randomUUID();
    const api = await openDriver(emulator, server(0), { clusterId });
    // Seed 3 makes the first create fail after Cinder applied it (a 500 with the volume made).
    emulator.faults.set({ seed: 3, serverErrors: { rate: 1, operations: ['cinder:CreateVolume'] } });
    try {
      const volume = await api.createVolume(randomUUID(), GIB);
      expect(emulator.faults.injected.get('fail-after')).toBe(1);
      expect(await api.listVolumes()).toEqual([volume]);
      await api.destroyVolume(volume.blockDeviceId);
    } finally {
      emulator.faults.set({});
    }
  });

  it('a volume stuck in creating ends the wait with TIMEOUT within create_ms', async () => {
    const api = await openDriver(emulator, server(0), { config: { timeouts: { create_ms: 600 } } });
    emulator.faults.set({ lifecycle: { 'stuck-creating': { calls: [1] } } });
    await expect(api.createVolume(randomUUID(), GIB)).rejects.toMatchObject({
      code: 'TIMEOUT',
      timeoutMs: 600,
    });
    emulator.faults.set({});
    emulator.fabric.release();
    const [stuck] = await api.listVolumes();
    await api.destroyVolume(stuck?.blockDeviceId ?? '');
  });

  it('honours Retry-After on 429 and re-authenticates after a 401', async () => {
    const api = await openDriver(emulator, server(0));
    await api.listVolumes();
    emulator.faults.set({
      throttle: { capacity: 1, refillPerSecond: 1, operations: ['cinder:ListVolumes'] },
    });
    try {
      const lists = emulator.count('cinder:ListVolumes');
      await api.listVolumes(); // takes the only token
      const started = Date.now();
      await api.listVolumes(); // 429, Retry-After: 1, then served
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
      expect(emulator.count('cinder:ListVolumes') - lists).toBe(3);
    } finally {
      emulator.faults.set({});
    }
    const tokens = emulator.count('keystone:CreateToken');
    emulator.revokeTokens();
    expect(await api.listVolumes()).toEqual([]);
    const volume = await api.createVolume(randomUUID(), GIB); // pkgcloud's own requests re-authenticate too
    emulator.revokeTokens();
    await api.destroyVolume(volume.blockDeviceId);
    expect(emulator.count('keystone:CreateToken') - tokens).toBe(2);
  });

  it('listVolumes() pages through every volume of the cluster and no other', async () => {
    // A cloud whose osapi_max_limit is 10: 25 volumes of this cluster take three pages whatever limit asks.
    const paged = await startEmulator({ servers: [{}], devices: false, pageLimit: 10 });
    try {
      const clusterId = randomUUID();
      const api = await openDriver(paged, serverAt(paged, 0), { clusterId });
      const cinder = await cinderAsDemo(paged);
      const make = (cluster: string) =>
        cinder('POST', '/volumes', {
          volume: {
            size: 1,
            name: 'bulk',
            metadata: { [CLUSTER_ID_LABEL]: cluster, 'flocker-dataset-id': randomUUID() },
          },
        });
      const made = await Promise.all([
        ...Array.from({ length: 25 }, () => make(clusterId)),
        ...Array.from({ length: 5 }, () => make(randomUUID())),
      ]);
      const before = paged.count('cinder:ListVolumes');
      const listed = await api.listVolumes();
      expect(listed).toHaveLength(25);
      expect(paged.count('cinder:ListVolumes') - before).toBe(3);
      const ids = made.map((body) => (body as { volume: { id: string } }).volume.id);
      await until(() => ids.every((id) => paged.describeVolume(id)?.status === 'available'));
      await Promise.all(ids.map((id) => cinder('DELETE', `/volumes/${id}`)));
    } finally {
      await stopAndCheck(paged);
    }
  });

  it('computeInstanceId() reads the config drive (mounted read-only)', async (context) => {
    if (skipUnlessRoot !== undefined) return context.skip(skipUnlessRoot);
    const byDrive = await openDriver(emulator, server(2), {
      config: { instance_id_sources: ['config-drive'] },
    });
    expect(await byDrive.computeInstanceId()).toBe(server(2).id);
  });

  it('computeInstanceId() reads the metadata service, or matches addresses', async () => {
    const byAddress = await openDriver(emulator, server(1), {
      config: {
        instance_id_sources: ['config-drive', 'metadata-service', 'nova-addresses'],
        metadata_url: 'http://127.0.0.1:9',
      },
      localAddresses: () => ['127.0.0.1', '2001:db8::11'],
    });
    expect(await byAddress.computeInstanceId()).toBe(server(1).id);
    const nobody = await openDriver(emulator, server(0), {
      config: { instance_id_sources: ['nova-addresses'] },
      localAddresses: () => ['198.51.100.1'],
    });
    await expect(nobody.computeInstanceId()).rejects.toMatchObject({
      code: 'UNKNOWN_INSTANCE_ID',
      message: expect.stringContaining('none of 3 ACTIVE servers'),
    });
    const ambiguous = await openDriver(emulator, server(0), {
      config: { instance_id_sources: ['nova-addresses'] },
      localAddresses: () => ['192.0.2.10', '192.0.2.11'],
    });
    await expect(ambiguous.computeInstanceId()).rejects.toMatchObject({ code: 'UNKNOWN_INSTANCE_ID' });
  });

  it('listLiveNodes() lists the ACTIVE servers only', async () => {
    const api = await openDriver(emulator, server(0));
    emulator.fabric.setInstanceState(server(2).id, 'stopped');
    try {
      expect([...(await api.listLiveNodes())].sort()).toEqual([server(0).id, server(1).id].sort());
    } finally {
      emulator.fabric.setInstanceState(server(2).id, 'running');
    }
  });

  it('no password, secret or token reaches a log entry or an error', async () => {
    const entries: LogEntry[] = [];
    const logger = createLogger({ sink: (entry) => entries.push(entry) });
    const wrong = await CinderDriver.open(
      configFor(emulator, server(0), { password: 'wrong-password-123' }),
      {
        clusterId: randomUUID(),
        logger,
      },
    );
    const error = await wrong.listVolumes().catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'BACKEND', message: expect.stringContaining('401') });
    const api = await openDriver(emulator, server(0), { logger });
    emulator.revokeTokens();
    const volume = await api.createVolume(randomUUID(), GIB);
    await api.destroyVolume(volume.blockDeviceId);
    const text = `${JSON.stringify(entries)}\n${inspect(error, { depth: 10 })}`;
    for (const secret of ['wrong-password-123', 'secret', 'gAAAAA']) expect(text).not.toContain(secret);
    expect(entries.length).toBeGreaterThan(5);
  });

  it('authenticates with an application credential', async () => {
    const emulated = await startEmulator({
      servers: [{}],
      devices: false,
      applicationCredentials: [{ id: 'app-1', secret: 'app-secret', user: 'demo' }],
    });
    try {
      const config = configFor(emulated, serverAt(emulated, 0), {
        username: undefined,
        password: undefined,
        project_name: undefined,
        application_credential_id: 'app-1',
        application_credential_secret: 'app-secret',
      });
      const api = await CinderDriver.open(config, { clusterId: randomUUID() });
      expect(await api.listVolumes()).toEqual([]);
      expect(await api.listLiveNodes()).toEqual([serverAt(emulated, 0).id]);
    } finally {
      await stopAndCheck(emulated);
    }
  });

  it("authenticates with the original backend's keys: auth_plugin, tenant_name, user_id, domain ids", async () => {
    const emulated = await startEmulator({
      servers: [{}],
      devices: false,
      users: [{ name: 'demo', password: 'secret', id: 'u-demo' }],
    });
    try {
      const legacy = {
        auth_plugin: 'password',
        username: undefined,
        project_name: undefined,
        user_id: 'u-demo',
        tenant_name: 'demo',
        project_domain_id: 'default',
      };
      const api = await CinderDriver.open(configFor(emulated, serverAt(emulated, 0), legacy), {
        clusterId: randomUUID(),
      });
      expect(await api.listVolumes()).toEqual([]);
      const byTenantId = configFor(emulated, serverAt(emulated, 0), {
        project_name: undefined,
        tenant_id: emulated.projectId,
      });
      expect(await (await CinderDriver.open(byTenantId, { clusterId: randomUUID() })).listVolumes()).toEqual(
        [],
      );
    } finally {
      await stopAndCheck(emulated);
    }
  });
});
