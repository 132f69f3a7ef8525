import { type CloudEmulator, startCloudEmulator } from '@flockerjs/cloud-emulator';
import { createLogger, hasCode, type LogEntry } from '@flockerjs/core-interface';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSdkEc2Api, type Ec2Api, Ec2CallError, isTransient, redactSecrets } from '../src/index.js';

// Error mapping through the real SDK against the emulator: no loop devices are involved, so no root needed.
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const ACCESS_KEY = 'AKIAIOSFODNN7EXAMPLE';
let emulator: CloudEmulator;
let ec2: Ec2Api;
const log: LogEntry[] = [];

beforeAll(async () => {
  emulator = await startCloudEmulator({
    timings: { createMs: 20, attachMs: 20, detachMs: 20, deleteMs: 20 },
  });
  ec2 = createSdkEc2Api({
    region: emulator.region,
    endpoint: emulator.url,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET, sessionToken: 'session-token-value' },
    maxAttempts: 1,
    throttleWaitMs: 0,
    logger: createLogger({ sink: (entry) => log.push(entry) }),
    driverName: 'aws',
  });
});
afterAll(() => emulator?.stop());

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.fail('expected a rejection'),
    (error: unknown) => error,
  );

describe('createSdkEc2Api error mapping', () => {
  it('an unknown or malformed volume id is UNKNOWN_VOLUME carrying the id', async () => {
    for (const id of ['vol-0123456789abcdef0', 'vol-nothex']) {
      const error = await failure(ec2.describeVolume(id));
      expect(error).toMatchObject({ code: 'UNKNOWN_VOLUME', blockDeviceId: id });
    }
    expect(await failure(ec2.deleteVolume('vol-0123456789abcdef0'))).toMatchObject({
      code: 'UNKNOWN_VOLUME',
    });
  });

  it('any other EC2 error is BACKEND with the EC2 code, the ids and the request id', async () => {
    const volume = await ec2.createVolume({
      zone: 'us-east-1a',
      sizeGiB: 1,
      volumeType: 'gp3',
      iops: undefined,
      tags: { purpose: 'mapping' },
      clientToken: `mapping-${Date.now()}`,
    });
    const error = await failure(ec2.attachVolume(volume.id, 'i-0123456789abcdef0', '/dev/sdf'));
    expect(error).toBeInstanceOf(Ec2CallError);
    expect(error).toMatchObject({
      code: 'BACKEND',
      failure: expect.stringMatching(/^(incorrect-state|unknown-instance)$/),
      operation: 'AttachVolume',
      ec2Code: expect.stringMatching(/^(IncorrectState|InvalidInstanceID.NotFound)$/),
      httpStatus: 400,
      ids: [volume.id, 'i-0123456789abcdef0', '/dev/sdf'],
      requestId: expect.stringMatching(/./),
    });
    expect((error as Error).message).toContain(volume.id);
    expect(isTransient(error)).toBe(false);
  });

  it('throttling that outlives the retries is BACKEND, transient, RequestLimitExceeded', async () => {
    emulator.faults.set({ throttle: { capacity: 0, refillPerSecond: 0 } });
    try {
      const error = await failure(ec2.describeVolumes([], 5));
      expect(error).toMatchObject({
        code: 'BACKEND',
        failure: 'transient',
        ec2Code: 'RequestLimitExceeded',
        httpStatus: 503,
      });
      expect(isTransient(error)).toBe(true);
      expect(hasCode(error, 'BACKEND')).toBe(true);
    } finally {
      emulator.faults.set({});
    }
  });

  it('no credential reaches a log entry or an error message', async () => {
    await failure(ec2.describeVolume('vol-0123456789abcdef0'));
    const text = JSON.stringify(log);
    expect(log.length).toBeGreaterThan(0);
    for (const secret of [SECRET, 'session-token-value']) expect(text).not.toContain(secret);
  });

  it('redaction replaces a secret where it stands whole, not inside other words', () => {
    const text = 'key ab rejected; abc, xab and ab2 are other words; token "ab".';
    expect(redactSecrets(text, ['ab'])).toBe(
      'key [REDACTED] rejected; abc, xab and ab2 are other words; token "[REDACTED]".',
    );
    expect(redactSecrets(`signed with ${ACCESS_KEY}/20260101`, [ACCESS_KEY])).toBe(
      'signed with [REDACTED]/20260101',
    );
  });

  it('a refused volume type is `refused`, a reused token `token-reused`: the driver reads these, not codes', async () => {
    emulator.faults.set({ exhaustedVolumeTypes: ['io2'] });
    try {
      const input = {
        zone: 'us-east-1a',
        sizeGiB: 4,
        iops: 200,
        tags: {},
        clientToken: `refused-${Date.now()}`,
      };
      expect(await failure(ec2.createVolume({ ...input, volumeType: 'io2' }))).toMatchObject({
        failure: 'refused',
        ec2Code: 'InsufficientVolumeCapacity',
      });
      await ec2.createVolume({ ...input, volumeType: 'gp3', iops: undefined });
      expect(await failure(ec2.createVolume({ ...input, volumeType: 'gp3', sizeGiB: 5 }))).toMatchObject({
        failure: 'token-reused',
      });
    } finally {
      emulator.faults.set({});
    }
  });
});
