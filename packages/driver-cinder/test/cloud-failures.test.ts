import { randomUUID } from 'node:crypto';
import { cinderAsDemo, type OpenStackEmulator } from '@flockerjs/cloud-emulator';
import { noMetrics, silentLogger, systemClock } from '@flockerjs/core-interface';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CinderDriver,
  CLUSTER_ID_LABEL,
  DATASET_ID_LABEL,
  GIB,
  type NovaClient,
  OpenStackSession,
  PkgcloudNovaClient,
  sendHttp,
  VOLUME_NAME_PREFIX,
} from '../src/index.js';
import { configFor, openDriver, serverAt, startEmulator, stopAndCheck, until } from './emulated-openstack.js';

// The failures real clouds produce, as the emulator's fabric deals them, and what the driver makes of each:
// reported at once with a code, or survived, never a wait on a state Cinder will not leave. No devices: any user.
let emulator: OpenStackEmulator;
beforeAll(async () => {
  emulator = await startEmulator({ devices: false });
});
afterEach(() => {
  emulator.faults.set({});
  emulator.fabric.release();
});
afterAll(async () => {
  await stopAndCheck(emulator);
});
const server = (index: number) => serverAt(emulator, index);
const status = (id: string) => emulator.describeVolume(id)?.status;

/** A volume this cluster's driver would call the dataset's, made behind its back. */
async function sameNameVolume(clusterId: string, datasetId: string): Promise<string> {
  const cinder = await cinderAsDemo(emulator);
  const body = (await cinder('POST', '/volumes', {
    volume: {
      size: 1,
      name: `${VOLUME_NAME_PREFIX}${datasetId}`,
      metadata: { [CLUSTER_ID_LABEL]: clusterId, [DATASET_ID_LABEL]: datasetId },
    },
  })) as { volume: { id: string } };
  return body.volume.id;
}

/** Nova as the driver sees it, with `detachVolume` replaced. */
function novaWith(detachVolume: (real: NovaClient, serverId: string, volumeId: string) => Promise<void>) {
  const config = configFor(emulator, server(0));
  const session = new OpenStackSession(
    config,
    { verify: true },
    { send: sendHttp, clock: systemClock, logger: silentLogger },
  );
  const real = new PkgcloudNovaClient(session);
  const nova: NovaClient = {
    attachVolume: (serverId, volumeId) => real.attachVolume(serverId, volumeId),
    detachVolume: (serverId, volumeId) => detachVolume(real, serverId, volumeId),
    startServer: (serverId) => real.startServer(serverId),
    listActiveServers: () => real.listActiveServers(),
    getServer: (serverId) => real.getServer(serverId),
  };
  return nova;
}

describe('openstack driver: failures of the cloud', () => {
  it('a created volume that ends in error is replaced, and reported with BACKEND when every one does', async () => {
    const api = await openDriver(emulator, server(0));
    emulator.faults.set({ lifecycle: { 'create-error': { calls: [1] } } });
    const volume = await api.createVolume(randomUUID(), GIB);
    expect(emulator.faults.injected.get('create-error')).toBeGreaterThan(0);
    expect(await api.listVolumes()).toEqual([volume]);
    await api.destroyVolume(volume.blockDeviceId);

    emulator.faults.set({ lifecycle: { 'create-error': { every: 1 } } });
    const error = await api.createVolume(randomUUID(), GIB).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'BACKEND', message: expect.stringMatching(/ended in error/) });
    expect(await api.listVolumes(), 'no failed volume left behind').toEqual([]);
  });

  it('a same-name volume in error is not adopted: replaced when it never held data, else reported', async () => {
    const clusterId = randomUUID();
    const api = await openDriver(emulator, server(0), { clusterId });
    const failed = randomUUID();
    emulator.faults.set({ lifecycle: { 'create-error': { calls: [1] } } });
    const dead = await sameNameVolume(clusterId, failed);
    await until(() => status(dead) === 'error');
    emulator.faults.set({});
    const volume = await api.createVolume(failed, GIB);
    expect(volume.blockDeviceId).not.toBe(dead);
    expect(status(dead) ?? 'deleted').toMatch(/deleting|deleted/);
    await api.destroyVolume(volume.blockDeviceId);

    const attachFailed = randomUUID();
    const held = await sameNameVolume(clusterId, attachFailed);
    await until(() => status(held) === 'available');
    emulator.faults.set({ lifecycle: { 'attach-error': { calls: [1] } } });
    await api.attachVolume(held, server(0).id).catch(() => undefined);
    await until(() => status(held) === 'error_attaching');
    await expect(api.createVolume(attachFailed, GIB)).rejects.toMatchObject({
      code: 'BACKEND',
      message: expect.stringMatching(new RegExp(`${held}.*error_attaching`)),
    });
    expect(status(held), 'left for an operator: it may hold data').toBe('error_attaching');
    emulator.resetStatus(held);
    await api.destroyVolume(held);
  });

  it('an attach that fails is reported at once with BACKEND', async () => {
    const api = await openDriver(emulator, server(0));
    const volume = await api.createVolume(randomUUID(), GIB);
    emulator.faults.set({ lifecycle: { 'attach-error': { calls: [1] } } });
    await expect(api.attachVolume(volume.blockDeviceId, server(0).id)).rejects.toMatchObject({
      code: 'BACKEND',
      message: expect.stringContaining('error_attaching'),
    });
    emulator.resetStatus(volume.blockDeviceId);
    await api.destroyVolume(volume.blockDeviceId);
  });

  it('an attach stuck past attach_ms is undone and reported with TIMEOUT', async () => {
    const api = await openDriver(emulator, server(0), { config: { timeouts: { attach_ms: 500 } } });
    const volume = await api.createVolume(randomUUID(), GIB);
    emulator.faults.set({ lifecycle: { 'stuck-attaching': { calls: [1] } } });
    await expect(api.attachVolume(volume.blockDeviceId, server(0).id)).rejects.toMatchObject({
      code: 'TIMEOUT',
      timeoutMs: 500,
    });
    await until(() => status(volume.blockDeviceId) === 'available');
    expect((await api.listVolumes())[0]?.attachedTo).toBeNull();
    await api.destroyVolume(volume.blockDeviceId);
  });

  it('a detach the guest refuses (busy) is reported at once with BACKEND, the volume still attached', async () => {
    const api = await openDriver(emulator, server(0));
    const volume = await api.createVolume(randomUUID(), GIB);
    await api.attachVolume(volume.blockDeviceId, server(0).id);
    emulator.faults.set({ lifecycle: { 'busy-detach': { calls: [1] } } });
    await expect(api.detachVolume(volume.blockDeviceId)).rejects.toMatchObject({
      code: 'BACKEND',
      message: expect.stringMatching(/in-use/),
    });
    expect((await api.listVolumes())[0]?.attachedTo).toBe(server(0).id);
    emulator.fabric.release();
    await until(() => status(volume.blockDeviceId) === 'available');
    await api.destroyVolume(volume.blockDeviceId);
  });

  it('a detach stuck past detach_ms is TIMEOUT; the next detach finishes it', async () => {
    const api = await openDriver(emulator, server(0), { config: { timeouts: { detach_ms: 500 } } });
    const volume = await api.createVolume(randomUUID(), GIB);
    await api.attachVolume(volume.blockDeviceId, server(0).id);
    emulator.faults.set({ lifecycle: { 'stuck-detaching': { calls: [1] } } });
    await expect(api.detachVolume(volume.blockDeviceId)).rejects.toMatchObject({
      code: 'TIMEOUT',
      timeoutMs: 500,
    });
    // Released only once the next detach has looked: it must find the volume still detaching and wait it out.
    const looks = () => emulator.count('cinder:GetVolume') + emulator.count('cinder:ListVolumes');
    const before = looks();
    const finishing = api.detachVolume(volume.blockDeviceId);
    await until(() => looks() > before, 'the next detach to look at the volume');
    emulator.fabric.release();
    await finishing;
    await api.destroyVolume(volume.blockDeviceId);
  });

  it('a detach whose reply was lost is not sent twice: the retry refused while detaching waits for the first', async () => {
    const api = await openDriver(emulator, server(0));
    const volume = await api.createVolume(randomUUID(), GIB);
    await api.attachVolume(volume.blockDeviceId, server(0).id);
    // The first detach is applied and its reply lost; the volume stays detaching, so Nova refuses the retry (400).
    emulator.faults.set({
      serverErrors: { calls: [1], when: 'after', operations: ['nova:DetachVolume'] },
      lifecycle: { 'stuck-detaching': { calls: [1] } },
    });
    const detaching = api.detachVolume(volume.blockDeviceId);
    await until(
      () => emulator.count('nova:DetachVolume') >= 2 && emulator.fabric.held().length > 0,
      'the retried detach, the volume held detaching',
    );
    emulator.fabric.release();
    await detaching;
    expect(emulator.faults.injected.get('fail-after')).toBe(1);
    expect(status(volume.blockDeviceId)).toBe('available');
    await api.destroyVolume(volume.blockDeviceId);
  });

  it("Nova's 404 on detach is UNATTACHED or UNKNOWN_VOLUME as the volume's state says, without a wait", async () => {
    const clusterId = randomUUID();
    const plain = await openDriver(emulator, server(0), { clusterId });
    const volume = await plain.createVolume(randomUUID(), GIB);
    await plain.attachVolume(volume.blockDeviceId, server(0).id);
    // Another agent's detach got there between this driver's look and its own request.
    const racing = await openDriver(emulator, server(0), {
      clusterId,
      nova: novaWith(async (real, serverId, volumeId) => {
        await real.detachVolume(serverId, volumeId);
        await until(() => status(volumeId) === 'available');
        await real.detachVolume(serverId, volumeId);
      }),
    });
    await expect(racing.detachVolume(volume.blockDeviceId)).rejects.toMatchObject({ code: 'UNATTACHED' });
    // Nova and Cinder disagree (Nova has no such attachment, Cinder still shows one): no wait on Cinder.
    await plain.attachVolume(volume.blockDeviceId, server(0).id);
    const disagreeing = await openDriver(emulator, server(0), {
      clusterId,
      config: { timeouts: { detach_ms: 120_000 } },
      nova: novaWith((real, _serverId, volumeId) => real.detachVolume(server(1).id, volumeId)),
    });
    await expect(disagreeing.detachVolume(volume.blockDeviceId)).rejects.toMatchObject({
      code: 'UNATTACHED',
    });
    // Detached and destroyed by another agent meanwhile.
    const destroying = await openDriver(emulator, server(0), {
      clusterId,
      nova: novaWith(async (real, serverId, volumeId) => {
        await real.detachVolume(serverId, volumeId);
        await until(() => status(volumeId) === 'available');
        await plain.destroyVolume(volumeId);
        await real.detachVolume(serverId, volumeId);
      }),
    });
    await expect(destroying.detachVolume(volume.blockDeviceId)).rejects.toMatchObject({
      code: 'UNKNOWN_VOLUME',
    });
  });

  it('startNode() starts a stopped server (Nova os-start); a running one is left as it is', async () => {
    const api = await openDriver(emulator, server(0));
    expect(api.capabilities.startNode).toBe(true);
    emulator.fabric.stopInstance(server(1).id);
    expect(await api.listLiveNodes()).not.toContain(server(1).id);
    await api.startNode(server(1).id);
    await until(async () => (await api.listLiveNodes()).includes(server(1).id));
    await api.startNode(server(1).id);
    await expect(api.startNode(randomUUID())).rejects.toMatchObject({ code: 'UNKNOWN_INSTANCE_ID' });
  });
});

// The plugin's factory is CinderDriver.open itself, with the loader's context.
it('FLOCKER_BACKEND.apiFactory opens the driver from the loader context', async () => {
  const { FLOCKER_BACKEND } = await import('../src/index.js');
  const api = await FLOCKER_BACKEND.apiFactory(configFor(emulator, server(0)), {
    clusterId: randomUUID(),
    configDir: '/',
    logger: silentLogger,
    metrics: noMetrics,
  });
  expect(api).toBeInstanceOf(CinderDriver);
  expect(await api.listVolumes()).toEqual([]);
});
