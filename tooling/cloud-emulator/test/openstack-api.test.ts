import { randomUUID } from 'node:crypto';
import { lstat, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { waitFor } from '@flockerjs/core-interface';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  OPENSTACK_RATE_LIMITS,
  type OpenStackEmulator,
  startOpenStackEmulator,
  virtioByIdName,
} from '../src/index.js';

// Wire-level checks of the OpenStack front end. Every answer asserted here was first recorded from real
// Keystone 22 / Cinder 21 / Nova 26 (tooling/openstack-real); where the emulator differed, real won.
let os: OpenStackEmulator;
let token = '';
beforeAll(async () => {
  os = await startOpenStackEmulator({ timings: { createMs: 30, attachMs: 40, detachMs: 40, deleteMs: 20 } });
  token = (await auth({ name: 'demo', password: 'secret' })).headers.get('x-subject-token') ?? '';
});
afterAll(async () => {
  await os?.stop();
});

const root = process.getuid?.() === 0;
function firstServer() {
  const server = os.servers[0];
  if (server === undefined) throw new Error('the emulator started no server');
  return server;
}

function auth(user: { name: string; password: string }): Promise<Response> {
  return fetch(`${os.authUrl}/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { ...user, domain: { name: 'Default' } } } },
        scope: { project: { name: 'demo', domain: { name: 'Default' } } },
      },
    }),
  });
}

async function api(
  service: 'volume' | 'compute',
  method: string,
  path: string,
  body?: unknown,
  auth = token,
) {
  const base = os.authUrl.replace(
    '/identity/v3',
    service === 'volume' ? `/volume/v3/${os.projectId}` : '/compute/v2.1',
  );
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { 'x-auth-token': auth, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text === '' ? undefined : JSON.parse(text),
  };
}

/** Polls until `check` holds; bounded by a limit sized for a loaded machine, and a failure when it runs out. */
const until = (check: () => Promise<boolean>): Promise<void> =>
  waitFor({
    what: 'the emulator to get there',
    timeoutMs: 30_000,
    intervalMs: 20,
    factor: 1.5,
    maxIntervalMs: 500,
    poll: async () =>
      (await check()) ? { done: true, value: undefined } : { done: false, state: undefined },
  });
const status = async (id: string) => (await api('volume', 'GET', `/volumes/${id}`)).body?.volume?.status;

describe('OpenStack front end: answers as the real services give them', () => {
  it('Keystone: 201 with X-Subject-Token and a catalog naming volumev3, volume and compute; 401 body', async () => {
    const good = await auth({ name: 'demo', password: 'secret' });
    expect(good.status).toBe(201);
    const body = (await good.json()) as { token: { catalog: { type: string }[]; project: { id: string } } };
    expect(body.token.catalog.map((entry) => entry.type)).toEqual(
      expect.arrayContaining(['volumev3', 'volume', 'compute']),
    );
    const bad = await auth({ name: 'demo', password: 'nope' });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toEqual({
      error: {
        code: 401,
        message: 'The request you have made requires authentication.',
        title: 'Unauthorized',
      },
    });
  });

  it('Cinder: a bad or revoked token is 401 with WWW-Authenticate, as keystonemiddleware answers', async () => {
    const answer = await api('volume', 'GET', '/volumes/detail', undefined, 'bogus');
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toMatch(/^Keystone uri="/);
    expect(answer.body.error).toMatchObject({ code: 401, title: 'Unauthorized' });
  });

  it('Cinder: create is 202 with metadata; default type __DEFAULT__; errors are itemNotFound/badRequest', async () => {
    const created = await api('volume', 'POST', '/volumes', {
      volume: { size: 1, name: 'v', metadata: { k: 'v' } },
    });
    expect(created.status).toBe(202);
    expect(created.body.volume).toMatchObject({
      status: 'creating',
      volume_type: '__DEFAULT__',
      metadata: { k: 'v' },
      bootable: 'false',
    });
    const id = created.body.volume.id as string;
    const unknown = randomUUID();
    expect(await api('volume', 'GET', `/volumes/${unknown}`)).toMatchObject({
      status: 404,
      body: { itemNotFound: { code: 404, message: `Volume ${unknown} could not be found.` } },
    });
    expect((await api('volume', 'POST', '/volumes', { volume: { size: 0 } })).body).toEqual({
      badRequest: {
        code: 400,
        message: 'Invalid input for field/attribute size. Value: 0. 0 is less than the minimum of 1',
      },
    });
    expect(
      (await api('volume', 'POST', '/volumes', { volume: { size: 1, volume_type: 'nope' } })).body,
    ).toEqual({
      itemNotFound: { code: 404, message: 'Volume type with name nope could not be found.' },
    });
    expect(
      (await api('volume', 'POST', '/volumes', { volume: { size: 1, availability_zone: 'nope' } })).body,
    ).toEqual({
      badRequest: { code: 400, message: "Availability zone 'nope' is invalid." },
    });
    await until(async () => (await status(id)) === 'available');
    expect((await api('volume', 'DELETE', `/volumes/${id}`)).status).toBe(202);
  });

  it('Cinder: detail pages with limit/marker; a full page links on; an unknown marker is 404; metadata filters', async () => {
    const tag = randomUUID();
    for (let i = 0; i < 3; i += 1)
      await api('volume', 'POST', '/volumes', { volume: { size: 1, metadata: { tag } } });
    const filter = `metadata=${encodeURIComponent(JSON.stringify({ tag }))}`;
    const first = await api('volume', 'GET', `/volumes/detail?limit=2&${filter}`);
    expect(first.body.volumes).toHaveLength(2);
    expect(first.body.volumes_links[0]).toMatchObject({
      rel: 'next',
      href: expect.stringContaining('marker='),
    });
    const marker = first.body.volumes[1].id as string;
    const second = await api('volume', 'GET', `/volumes/detail?limit=2&marker=${marker}&${filter}`);
    expect(second.body.volumes).toHaveLength(1);
    expect(second.body.volumes_links).toBeUndefined();
    const unknown = randomUUID();
    expect(await api('volume', 'GET', `/volumes/detail?marker=${unknown}`)).toMatchObject({
      status: 404,
      body: { itemNotFound: { message: `Volume ${unknown} could not be found.` } },
    });
    expect((await api('volume', 'GET', '/volumes/detail?limit=abc')).body).toEqual({
      badRequest: { code: 400, message: 'limit param must be an integer' },
    });
    const ids = [...first.body.volumes, ...second.body.volumes].map((volume: { id: string }) => volume.id);
    await until(async () => (await Promise.all(ids.map(status))).every((s) => s === 'available'));
    for (const id of ids) await api('volume', 'DELETE', `/volumes/${id}`);
  });

  it.skipIf(!root)(
    'Nova attach: reserved, then in-use with a virtio by-id link to a real block device; refusals',
    async () => {
      const server = firstServer();
      const id = (await api('volume', 'POST', '/volumes', { volume: { size: 1 } })).body.volume.id as string;
      await until(async () => (await status(id)) === 'available');
      // Held attaching until released: a loaded machine could otherwise finish before the status is read.
      os.faults.set({ lifecycle: { 'stuck-attaching': { every: 1 } } });
      const attach = await api('compute', 'POST', `/servers/${server.id}/os-volume_attachments`, {
        volumeAttachment: { volumeId: id },
      });
      expect(attach).toMatchObject({
        status: 200,
        body: { volumeAttachment: { volumeId: id, serverId: server.id, device: '/dev/vdb' } },
      });
      expect(await status(id)).toBe('reserved');
      os.faults.set({});
      // The fabric names volumes its own way: this attach is the only one held.
      await expect.poll(() => os.fabric.held().length).toBe(1);
      os.fabric.release();
      await until(async () => (await status(id)) === 'in-use');
      const link = join(server.deviceRoot, 'disk', 'by-id', virtioByIdName(id));
      expect(await readlink(link)).toBe('../../vdb');
      expect((await lstat(join(server.deviceRoot, 'vdb'))).isBlockDevice()).toBe(true);
      expect(
        (
          await api('compute', 'POST', `/servers/${server.id}/os-volume_attachments`, {
            volumeAttachment: { volumeId: id },
          })
        ).body,
      ).toEqual({
        badRequest: {
          code: 400,
          message: `Invalid volume: volume ${id} is already attached to instances: ${server.id}`,
        },
      });
      expect((await api('volume', 'DELETE', `/volumes/${id}`)).body.badRequest.message).toMatch(
        /^Invalid volume: Volume status must be available or error/,
      );
      expect(
        (await api('compute', 'DELETE', `/servers/${server.id}/os-volume_attachments/${id}`)).status,
      ).toBe(202);
      // `detaching` while the emulated detach runs; on a loaded machine it may already be over. The held
      // `detaching` state is proven by the stuck-detaching case below.
      expect(['detaching', 'available']).toContain(await status(id));
      await until(async () => (await status(id)) === 'available');
      await expect(lstat(link)).rejects.toMatchObject({ code: 'ENOENT' });
      expect(
        (await api('compute', 'DELETE', `/servers/${server.id}/os-volume_attachments/${id}`)).body,
      ).toEqual({
        itemNotFound: { code: 404, message: `Instance ${server.id} is not attached to volume ${id}` },
      });
      const nobody = randomUUID();
      expect((await api('compute', 'GET', `/servers/${nobody}`)).body).toEqual({
        itemNotFound: { code: 404, message: `Instance ${nobody} could not be found.` },
      });
      await api('volume', 'DELETE', `/volumes/${id}`);
      await until(async () => (await api('volume', 'GET', `/volumes/${id}`)).status === 404);
    },
  );

  it('rate limits: an empty bucket answers 429 with Retry-After, counted per operation', async () => {
    let now = 0;
    os.faults.set({ rateLimits: OPENSTACK_RATE_LIMITS, clock: () => now });
    try {
      const statuses: number[] = [];
      for (let call = 0; call < 101; call += 1) {
        statuses.push((await api('volume', 'GET', '/volumes/detail')).status);
      }
      expect(statuses.filter((status) => status === 200)).toHaveLength(100);
      const throttled = await api('volume', 'GET', '/volumes/detail');
      expect(throttled.status).toBe(429);
      expect(throttled.headers.get('retry-after')).toBe('1');
      expect(os.faults.throttled.get('cinder:ListVolumes')).toBe(2);
      // Another operation has a bucket of its own.
      expect((await api('compute', 'GET', '/servers/detail')).status).toBe(200);
      now += 1000;
      expect((await api('volume', 'GET', '/volumes/detail')).status).toBe(200);
    } finally {
      os.faults.set({});
    }
  });

  it('faults: a throttled call is 429 with Retry-After; the metadata service names the server', async () => {
    os.faults.set({ throttle: { capacity: 0, refillPerSecond: 0, operations: ['cinder:ListVolumes'] } });
    try {
      const throttled = await api('volume', 'GET', '/volumes/detail');
      expect(throttled.status).toBe(429);
      expect(throttled.headers.get('retry-after')).toBe('1');
    } finally {
      os.faults.set({});
    }
    const server = firstServer();
    const metadata = await (await fetch(`${server.metadataUrl}/openstack/latest/meta_data.json`)).json();
    expect(metadata).toMatchObject({ uuid: server.id, project_id: os.projectId });
  });
});

// The fabric's faults as Cinder and Nova report them, on a device-less emulator: as any user.
describe('OpenStack front end: the fabric faults as OpenStack reports them', () => {
  let faulty: OpenStackEmulator;
  let session = '';
  beforeAll(async () => {
    faulty = await startOpenStackEmulator({
      devices: false,
      timings: { createMs: 20, attachMs: 20, detachMs: 20, deleteMs: 10, instanceMs: 20 },
    });
    const login = await fetch(`${faulty.authUrl}/auth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: 'demo', password: 'secret', domain: { name: 'Default' } } },
          },
          scope: { project: { name: 'demo', domain: { name: 'Default' } } },
        },
      }),
    });
    session = login.headers.get('x-subject-token') ?? '';
  });
  afterAll(async () => {
    await faulty?.stop();
  });

  const call = async (service: 'volume' | 'compute', method: string, path: string, body?: unknown) => {
    const base = faulty.authUrl.replace(
      '/identity/v3',
      service === 'volume' ? `/volume/v3/${faulty.projectId}` : '/compute/v2.1',
    );
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { 'x-auth-token': session, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
  };
  const statusOf = async (id: string) => (await call('volume', 'GET', `/volumes/${id}`)).body?.volume?.status;
  const settle = async (id: string, want: string) => {
    await until(async () => (await statusOf(id)) === want);
    expect(await statusOf(id)).toBe(want);
  };
  const server = () => {
    const first = faulty.servers[0];
    if (first === undefined) throw new Error('no server');
    return first;
  };
  const newVolume = async () => {
    const id = (await call('volume', 'POST', '/volumes', { volume: { size: 1 } })).body.volume.id as string;
    await settle(id, 'available');
    return id;
  };
  const attach = (id: string) =>
    call('compute', 'POST', `/servers/${server().id}/os-volume_attachments`, {
      volumeAttachment: { volumeId: id },
    });
  const detach = (id: string) =>
    call('compute', 'DELETE', `/servers/${server().id}/os-volume_attachments/${id}`);

  it('create-error is `error`, deletable; attach-error is `error_attaching`, refused a delete', async () => {
    faulty.faults.set({ lifecycle: { 'create-error': { calls: [1] }, 'attach-error': { calls: [1] } } });
    try {
      const failed = (await call('volume', 'POST', '/volumes', { volume: { size: 1 } })).body.volume
        .id as string;
      await settle(failed, 'error');
      expect((await call('volume', 'DELETE', `/volumes/${failed}`)).status).toBe(202);
      const id = await newVolume();
      expect((await attach(id)).status).toBe(200);
      await settle(id, 'error_attaching');
      expect((await call('volume', 'DELETE', `/volumes/${id}`)).status).toBe(400);
      faulty.resetStatus(id);
      expect((await call('volume', 'DELETE', `/volumes/${id}`)).status).toBe(202);
    } finally {
      faulty.faults.set({});
    }
  });

  it('busy-detach stays `in-use` (Nova rolled it back); stuck-detaching stays `detaching`', async () => {
    faulty.faults.set({ lifecycle: { 'busy-detach': { calls: [1] }, 'stuck-detaching': { calls: [2] } } });
    try {
      const id = await newVolume();
      await attach(id);
      await settle(id, 'in-use');
      expect((await detach(id)).status).toBe(202);
      expect(await statusOf(id)).toBe('in-use');
      expect((await detach(id)).status).toBe(202); // the guest still holds it
      expect(await statusOf(id)).toBe('in-use');
      faulty.fabric.release();
      await settle(id, 'available');
      await attach(id);
      await settle(id, 'in-use');
      expect((await detach(id)).status).toBe(202);
      expect(await statusOf(id)).toBe('detaching');
      expect((await detach(id)).status).toBe(400);
      faulty.fabric.release();
      await settle(id, 'available');
      await call('volume', 'DELETE', `/volumes/${id}`);
    } finally {
      faulty.faults.set({});
    }
  });

  it('os-stop and os-start: SHUTOFF, then ACTIVE; 409 from the wrong state', async () => {
    const id = server().id;
    const action = (body: unknown) => call('compute', 'POST', `/servers/${id}/action`, body);
    const serverStatus = async () => (await call('compute', 'GET', `/servers/${id}`)).body.server.status;
    expect((await action({ 'os-start': null })).body).toEqual({
      conflictingRequest: {
        code: 409,
        message: `Cannot 'start' instance ${id} while it is in vm_state active`,
      },
    });
    expect((await action({ 'os-stop': null })).status).toBe(202);
    expect(await serverStatus()).toBe('SHUTOFF');
    expect((await action({ 'os-start': null })).status).toBe(202);
    await until(async () => (await serverStatus()) === 'ACTIVE');
    expect(await serverStatus()).toBe('ACTIVE');
  });
});
