import { randomUUID } from 'node:crypto';
import type { OpenStackEmulator } from '@flockerjs/cloud-emulator';
import { type BackendApiCall, instantiateBackend } from '@flockerjs/core-interface';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FLOCKER_BACKEND } from '../src/index.js';
import { pathTemplate } from '../src/openstack-session.js';
import { configFor, serverAt, startEmulator, stopAndCheck } from './emulated-openstack.js';

// The session's counting through the real loader, against the emulator's 429s; no devices, so any user.
let emulator: OpenStackEmulator;
beforeAll(async () => {
  emulator = await startEmulator({ devices: false, retryAfterSeconds: 0 });
});
afterAll(async () => {
  await stopAndCheck(emulator);
});

async function meteredDriver(calls: BackendApiCall[]) {
  return instantiateBackend(FLOCKER_BACKEND, configFor(emulator, serverAt(emulator, 0)), {
    configDir: '.',
    clusterId: randomUUID(),
    metrics: { driverCall: () => {}, backendApiCall: (call) => calls.push(call) },
  });
}

it('counts each Cinder request with its tries and its 429s, by method and path template', async () => {
  emulator.faults.set({
    throttleEvery: { every: 2, operations: ['cinder:ListVolumes', 'cinder:GetVolume'] },
  });
  try {
    const calls: BackendApiCall[] = [];
    const api = await meteredDriver(calls);
    const before = emulator.count('cinder:ListVolumes') + emulator.count('cinder:GetVolume');
    for (let i = 0; i < 3; i += 1) await api.listVolumes();
    await expect(api.destroyVolume(randomUUID())).rejects.toMatchObject({ code: 'UNKNOWN_VOLUME' });

    const lists = calls.filter((call) => call.method === 'listVolumes');
    expect(new Set(lists.map((call) => `${call.api} ${call.operation}`))).toEqual(
      new Set(['cinder GET /volumes/detail']),
    );
    expect(calls).toContainEqual(
      expect.objectContaining({ api: 'cinder', operation: 'GET /volumes/{id}', method: 'destroyVolume' }),
    );
    const cinder = calls.filter((call) => call.api === 'cinder');
    const sum = (key: 'attempts' | 'throttles') => cinder.reduce((total, call) => total + call[key], 0);
    // Every try the emulator received is counted, and every 429 it answered.
    expect(sum('attempts')).toBe(
      emulator.count('cinder:ListVolumes') + emulator.count('cinder:GetVolume') - before,
    );
    expect(sum('throttles')).toBe(emulator.faults.injected.get('throttle'));
    expect(sum('throttles')).toBeGreaterThan(0);
  } finally {
    emulator.faults.set({});
  }
});

it('pathTemplate turns ids into {id} and keeps the words', () => {
  expect(pathTemplate(`/volumes/${randomUUID()}`)).toBe('/volumes/{id}');
  expect(pathTemplate('/volumes/detail')).toBe('/volumes/detail');
  expect(pathTemplate(`/servers/${randomUUID()}/action`)).toBe('/servers/{id}/action');
  expect(pathTemplate('/servers/42/os-volume_attachments/0123456789abcdef0123')).toBe(
    '/servers/{id}/os-volume_attachments/{id}',
  );
});
