import { randomUUID } from 'node:crypto';
import { type CloudEmulator, startCloudEmulator } from '@flockerjs/cloud-emulator';
import { type BackendApiCall, type DriverCall, instantiateBackend } from '@flockerjs/core-interface';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { configSchema, FLOCKER_BACKEND } from '../src/index.js';
import { emulatorConfig, instanceOf } from './emulated-cloud.js';

// The SDK middleware through the real loader, against the emulator's throttling; no devices, so no root.
let emulator: CloudEmulator;
beforeAll(async () => {
  emulator = await startCloudEmulator({ devices: false, instances: [{}] });
});
afterAll(() => emulator?.stop());
afterEach(() => emulator.faults.set({}));

it('counts each EC2 action with its tries and throttled tries, labelled with the contract member', async () => {
  // Every second DescribeVolumes is answered RequestLimitExceeded; the SDK retries it.
  emulator.faults.set({ throttleEvery: { every: 2, operations: ['DescribeVolumes'] } });
  const backendCalls: BackendApiCall[] = [];
  const driverCalls: DriverCall[] = [];
  const api = await instantiateBackend(
    FLOCKER_BACKEND,
    configSchema.parse(emulatorConfig(emulator, instanceOf(emulator))),
    {
      configDir: '.',
      clusterId: randomUUID(),
      metrics: {
        driverCall: (call) => driverCalls.push(call),
        backendApiCall: (call) => backendCalls.push(call),
      },
    },
  );
  const before = emulator.ec2.count('DescribeVolumes');
  for (let i = 0; i < 3; i += 1) await api.listVolumes();

  const describes = backendCalls.filter((call) => call.operation === 'DescribeVolumes');
  expect(describes.length).toBeGreaterThanOrEqual(3);
  for (const call of describes)
    expect(call).toMatchObject({ api: 'ec2', method: 'listVolumes', outcome: 'success' });
  const sum = (key: 'attempts' | 'throttles') => describes.reduce((total, call) => total + call[key], 0);
  // Every try the emulator received is counted, and every one it throttled.
  expect(sum('attempts')).toBe(emulator.ec2.count('DescribeVolumes') - before);
  expect(sum('throttles')).toBe(emulator.faults.injected.get('throttle'));
  expect(sum('throttles')).toBeGreaterThan(0);
  expect(sum('attempts') - describes.length).toBe(sum('throttles'));
  expect(driverCalls.filter((call) => call.method === 'listVolumes')).toHaveLength(3);
});

it('counts a call that failed, with every try the SDK made', async () => {
  // Every DescribeVolumes is answered InternalError: the SDK tries max_attempts times, then the call fails.
  emulator.faults.set({ serverErrors: { rate: 1, operations: ['DescribeVolumes'], when: 'before' } });
  const backendCalls: BackendApiCall[] = [];
  const api = await instantiateBackend(
    FLOCKER_BACKEND,
    configSchema.parse(emulatorConfig(emulator, instanceOf(emulator), { max_attempts: 2 })),
    {
      configDir: '.',
      clusterId: randomUUID(),
      metrics: { driverCall: () => {}, backendApiCall: (call) => backendCalls.push(call) },
    },
  );
  const before = emulator.ec2.count('DescribeVolumes');
  await expect(api.listVolumes()).rejects.toMatchObject({ code: 'BACKEND' });
  const describes = backendCalls.filter((call) => call.operation === 'DescribeVolumes');
  expect(describes.length).toBeGreaterThan(0);
  for (const call of describes) {
    expect(call).toMatchObject({
      api: 'ec2',
      method: 'listVolumes',
      outcome: 'error',
      attempts: 2,
      throttles: 0,
    });
  }
  expect(describes.reduce((total, call) => total + call.attempts, 0)).toBe(
    emulator.ec2.count('DescribeVolumes') - before,
  );
});
