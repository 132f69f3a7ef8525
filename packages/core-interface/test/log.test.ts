import { Writable } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  blockDeviceVolume,
  type Capabilities,
  createLogger,
  type IBlockDeviceAPI,
  instrumentApi,
  jsonLinesSink,
  type LogEntry,
  type LoggerOptions,
  REDACTED,
  redact,
  secretValues,
  silentLogger,
  UnknownVolumeError,
} from '../src/index.js';
import { PrivateStateDriver } from './private-state-driver.js';

const DATASET = '0b4d1f3c-6a52-4b0e-9d3f-2f8e7a1c5b6d';

/** A logger into an array, on a clock that advances 5 ms per reading so durations are predictable. */
function recordingLogger(options: Partial<LoggerOptions> = {}) {
  const entries: LogEntry[] = [];
  let time = Date.UTC(2024, 0, 1);
  const logger = createLogger({
    sink: (entry) => entries.push(entry),
    now: () => {
      time += 5;
      return time;
    },
    ...options,
  });
  return { entries, logger };
}

function levels(entries: readonly LogEntry[]) {
  return entries.map((e) => [e.action_type ?? e.message_type, e.action_status ?? null, e.task_level]);
}

describe('createLogger actions', () => {
  it('nests actions with eliot task levels, all in one task', async () => {
    const { entries, logger } = recordingLogger();
    await logger.action('root', {}, async () => {
      await logger.action('child', {}, async () => {});
    });
    expect(levels(entries)).toEqual([
      ['root', 'started', [1]],
      ['child', 'started', [2, 1]],
      ['child', 'succeeded', [2, 2]],
      ['root', 'succeeded', [3]],
    ]);
    expect(new Set(entries.map((e) => e.task_uuid)).size).toBe(1);
  });

  it('places a message inside the current action and gives one outside any action its own task', async () => {
    const { entries, logger } = recordingLogger();
    await logger.action('root', {}, async () => {
      logger.message('inside', { n: 1 });
    });
    logger.message('outside');
    expect(levels(entries)).toEqual([
      ['root', 'started', [1]],
      ['inside', null, [2]],
      ['root', 'succeeded', [3]],
      ['outside', null, [1]],
    ]);
    expect(entries[1]).toMatchObject({ n: 1, task_uuid: entries[0]?.task_uuid });
    expect(entries[3]?.task_uuid).not.toBe(entries[0]?.task_uuid);
  });

  it('starts a new task for each top-level action', async () => {
    const { entries, logger } = recordingLogger();
    await logger.action('first', {}, async () => {});
    await logger.action('second', {}, async () => {});
    expect(levels(entries).map(([, , level]) => level)).toEqual([[1], [2], [1], [2]]);
    expect(entries[0]?.task_uuid).not.toBe(entries[2]?.task_uuid);
  });

  it('nests concurrent actions started from Promise.all under their parent, each in its own branch', async () => {
    const { entries, logger } = recordingLogger();
    const branch = (name: string) =>
      logger.action(name, {}, async () => {
        // Yield so that the two actions interleave.
        await tick();
        logger.message(`${name}-message`);
        await tick();
      });
    await logger.action('root', {}, () => Promise.all([branch('a'), branch('b')]));
    const level = (type: string, status: string | null) =>
      levels(entries).find(([t, s]) => t === type && s === status)?.[2];
    expect(level('a', 'started')).toEqual([2, 1]);
    expect(level('a-message', null)).toEqual([2, 2]);
    expect(level('a', 'succeeded')).toEqual([2, 3]);
    expect(level('b', 'started')).toEqual([3, 1]);
    expect(level('b-message', null)).toEqual([3, 2]);
    expect(level('b', 'succeeded')).toEqual([3, 3]);
    expect(level('root', 'succeeded')).toEqual([4]);
    expect(entries).toHaveLength(8);
  });

  it('logs the start fields, a duration and an ISO timestamp', async () => {
    const { entries, logger } = recordingLogger();
    const result = await logger.action('attach', { blockDeviceId: 'vol-1' }, async () => 42);
    expect(result).toBe(42);
    expect(entries[0]).toMatchObject({
      action_type: 'attach',
      action_status: 'started',
      blockDeviceId: 'vol-1',
      timestamp: '2024-01-01T00:00:00.010Z',
    });
    // now() is read at start (5 ms), for the start entry (10 ms), for the end (15 ms) and its entry (20 ms).
    expect(entries[1]).toMatchObject({ action_status: 'succeeded', duration_ms: 10 });
    expect(entries[1]).not.toHaveProperty('blockDeviceId');
  });

  it('logs a failed action with the error code and message, and rethrows the same error', async () => {
    const { entries, logger } = recordingLogger();
    const error = new UnknownVolumeError('vol-1');
    await expect(
      logger.action('destroy', {}, async () => {
        throw error;
      }),
    ).rejects.toBe(error);
    expect(entries[1]).toMatchObject({
      action_type: 'destroy',
      action_status: 'failed',
      task_level: [2],
      error: {
        code: 'UNKNOWN_VOLUME',
        name: 'UnknownVolumeError',
        message: 'no volume with block device id "vol-1"',
      },
    });
  });

  it('logs a thrown non-error as its string', async () => {
    const { entries, logger } = recordingLogger();
    await expect(logger.action('x', {}, () => Promise.reject('plain string'))).rejects.toBe('plain string');
    expect(entries[1]?.error).toEqual({ message: 'plain string' });
  });
});

describe('redaction', () => {
  const secretKeys = [
    'password',
    'Password',
    'secret_access_key',
    'session_token',
    'x-auth-token',
    'access_key_id',
    'api_key',
    'client_secret',
    'Authorization',
    'credentials',
  ];

  it.each(secretKeys)('replaces the value of %s by [REDACTED] at any depth, inside arrays too', (key) => {
    const { entries, logger } = recordingLogger();
    const fields = {
      [key]: 'sv-top',
      nested: { deeper: { [key]: 'sv-deep' } },
      list: [{ [key]: 'sv-array' }, 'plain'],
    };
    logger.message('m', fields);
    expect(entries[0]).toMatchObject({
      [key]: REDACTED,
      nested: { deeper: { [key]: REDACTED } },
      list: [{ [key]: REDACTED }, 'plain'],
    });
    expect(JSON.stringify(entries[0])).not.toContain('sv-');
    // The caller's object is not modified.
    expect(fields[key]).toBe('sv-top');
  });

  it('keeps the values of ordinary keys', () => {
    expect(redact({ blockDeviceId: 'vol-1', size: 1024, hostname: 'a', attachedTo: null })).toEqual({
      blockDeviceId: 'vol-1',
      size: 1024,
      hostname: 'a',
      attachedTo: null,
    });
  });

  it('blanks known secret values inside strings', () => {
    const { entries, logger } = recordingLogger({ secrets: ['hunter2'] });
    logger.message('login', { detail: 'POST /auth with hunter2 failed', list: ['hunter2hunter2'] });
    expect(entries[0]).toMatchObject({
      detail: `POST /auth with ${REDACTED} failed`,
      list: [`${REDACTED}${REDACTED}`],
    });
  });

  it('ignores an empty secret instead of blanking between every character', () => {
    expect(redact({ detail: 'abc' }, [''])).toEqual({ detail: 'abc' });
  });

  it('turns an Error value into its name, message and code, redacting secrets in the message', () => {
    const error = Object.assign(new Error('auth failed for hunter2'), { code: 'AUTH' });
    expect(redact({ error }, ['hunter2'])).toEqual({
      error: { name: 'Error', message: `auth failed for ${REDACTED}`, code: 'AUTH' },
    });
  });

  it('replaces a reference back to an enclosing object by [Circular] instead of overflowing the stack', () => {
    const volume: Record<string, unknown> = { blockDeviceId: 'vol-1', password: 'p' };
    volume.self = volume;
    volume.list = [volume, 'plain'];
    expect(redact({ volume })).toEqual({
      volume: {
        blockDeviceId: 'vol-1',
        password: REDACTED,
        self: '[Circular]',
        list: ['[Circular]', 'plain'],
      },
    });
  });

  it('turns a BigInt value into its decimal string, so the entry can be written as JSON', () => {
    const redacted = redact({ size: 2n ** 64n, list: [-7n] });
    expect(redacted).toEqual({ size: '18446744073709551616', list: ['-7'] });
    expect(JSON.parse(JSON.stringify(redacted))).toEqual(redacted);
  });

  it('runs and logs an action whose fields contain a cycle', async () => {
    const { entries, logger } = recordingLogger();
    const request: Record<string, unknown> = { volumeId: 'vol-1' };
    request.parent = request;
    let ran = false;
    await expect(
      logger.action('describe', { request }, async () => {
        ran = true;
        return 'done';
      }),
    ).resolves.toBe('done');
    expect(ran).toBe(true);
    expect(levels(entries)).toEqual([
      ['describe', 'started', [1]],
      ['describe', 'succeeded', [2]],
    ]);
    expect(entries[0]).toMatchObject({ request: { volumeId: 'vol-1', parent: '[Circular]' } });
  });

  it('redacts the fields of an action start entry', async () => {
    const { entries, logger } = recordingLogger();
    await logger.action('connect', { args: [{ password: 'p' }] }, async () => {});
    expect(entries[0]).toMatchObject({ args: [{ password: REDACTED }] });
  });
});

describe('jsonLinesSink', () => {
  it('writes one JSON object per line', async () => {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk.toString());
        callback();
      },
    });
    const written: LogEntry[] = [];
    const sink = jsonLinesSink(stream);
    const logger = createLogger({
      sink: (entry) => {
        written.push(entry);
        sink(entry);
      },
    });
    await logger.action('a', { text: 'line\nbreak' }, async () => {});
    const text = chunks.join('');
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.slice(0, -1).split('\n');
    expect(lines).toHaveLength(2);
    expect(lines.map((line) => JSON.parse(line))).toEqual(written);
  });
});

describe('silentLogger', () => {
  it('runs the action and returns its result', async () => {
    await expect(silentLogger.action('x', {}, async () => 'result')).resolves.toBe('result');
    expect(() => silentLogger.message('x')).not.toThrow();
  });
});

describe('instrumentApi', () => {
  const capabilities: Capabilities = { profiles: false, cloudApi: false, startNode: false, resize: false };

  const initial = [
    blockDeviceVolume({ blockDeviceId: 'vol-1', size: 1024, attachedTo: null, datasetId: DATASET }),
    blockDeviceVolume({ blockDeviceId: 'vol-2', size: 1024, attachedTo: 'node-a', datasetId: DATASET }),
  ];
  const fakeApi = (): PrivateStateDriver => new PrivateStateDriver(initial);

  it('logs each contract call as a <name>:<method> action with its arguments and result', async () => {
    const { entries, logger } = recordingLogger();
    const api = instrumentApi(fakeApi(), logger, 'fake');
    const volume = await api.createVolume(DATASET, 2048);
    expect(volume).toMatchObject({ blockDeviceId: 'vol-3', size: 2048 });
    expect(levels(entries)).toEqual([
      ['fake:createVolume', 'started', [1]],
      ['fake:createVolume:result', null, [2]],
      ['fake:createVolume', 'succeeded', [3]],
    ]);
    expect(entries[0]?.args).toEqual([DATASET, 2048]);
    expect(entries[1]?.result).toEqual(volume);
  });

  it('logs a count, not the items, for a listing', async () => {
    const { entries, logger } = recordingLogger();
    const api = instrumentApi(fakeApi(), logger, 'fake');
    expect(await api.listVolumes()).toHaveLength(2);
    expect(entries[0]).not.toHaveProperty('args');
    expect(entries[1]).toMatchObject({ message_type: 'fake:listVolumes:result', count: 2 });
    expect(entries[1]).not.toHaveProperty('result');
  });

  it('logs no result entry for a call that returns nothing', async () => {
    const { entries, logger } = recordingLogger();
    await instrumentApi(fakeApi(), logger, 'fake').detachVolume('vol-2');
    expect(levels(entries).map(([type]) => type)).toEqual(['fake:detachVolume', 'fake:detachVolume']);
  });

  it('logs a failed call and rethrows its error', async () => {
    const { entries, logger } = recordingLogger();
    const api = instrumentApi(fakeApi(), logger, 'fake');
    await expect(api.destroyVolume('vol-9')).rejects.toMatchObject({ code: 'UNKNOWN_VOLUME' });
    expect(entries[1]).toMatchObject({ action_type: 'fake:destroyVolume', action_status: 'failed' });
  });

  it('wraps a frozen driver object: calls are logged and return their results', async () => {
    const { entries, logger } = recordingLogger();
    const volume = blockDeviceVolume({
      blockDeviceId: 'vol-1',
      size: 1024,
      attachedTo: null,
      datasetId: DATASET,
    });
    const frozen = Object.freeze({
      capabilities,
      allocationUnit: async () => 1024,
      computeInstanceId: async () => 'node-a',
      createVolume: async (_datasetId: string, _size: number) => volume,
      destroyVolume: async () => {},
      attachVolume: async () => volume,
      detachVolume: async () => {},
      listVolumes: async () => [volume],
      getDevicePath: async () => '/dev/xvdf',
    }) satisfies IBlockDeviceAPI;
    const api = instrumentApi(frozen, logger, 'frozen');
    expect(api.capabilities).toBe(capabilities);
    expect(await api.computeInstanceId()).toBe('node-a');
    expect(await api.createVolume(DATASET, 1024)).toBe(volume);
    expect(await api.listVolumes()).toEqual([volume]);
    expect(levels(entries).map(([type, status]) => `${type} ${status}`)).toEqual([
      'frozen:computeInstanceId started',
      'frozen:computeInstanceId:result null',
      'frozen:computeInstanceId succeeded',
      'frozen:createVolume started',
      'frozen:createVolume:result null',
      'frozen:createVolume succeeded',
      'frozen:listVolumes started',
      'frozen:listVolumes:result null',
      'frozen:listVolumes succeeded',
    ]);
    expect(entries[3]?.args).toEqual([DATASET, 1024]);
    expect(entries[7]).toMatchObject({ count: 1 });
  });

  it('passes other members through unlogged, bound to the real object', async () => {
    const { entries, logger } = recordingLogger();
    const real = fakeApi();
    const api = instrumentApi(real, logger, 'fake');
    expect(api.capabilities).toBe(real.capabilities);
    const { count } = api;
    expect(count()).toBe(2);
    expect(entries).toEqual([]);
  });
});

describe('log levels and secret values', () => {
  it('drops entries below the level: info keeps actions, drops debug messages; error keeps only failures', async () => {
    const seen = (level: 'info' | 'error') => {
      const entries: LogEntry[] = [];
      const logger = createLogger({ sink: (entry) => entries.push(entry), level });
      return { entries, logger };
    };
    for (const level of ['info', 'error'] as const) {
      const { entries, logger } = seen(level);
      await logger.action('ok', {}, async () => logger.message('detail', {}, 'debug'));
      await logger.action('bad', {}, async () => Promise.reject(new Error('x'))).catch(() => {});
      const kept = entries.map((e) => `${e.action_type ?? e.message_type} ${e.action_status ?? ''}`.trim());
      expect(kept, level).toEqual(
        level === 'info' ? ['ok started', 'ok succeeded', 'bad started', 'bad failed'] : ['bad failed'],
      );
    }
  });

  it('secretValues collects the values of secret-named keys at any depth', () => {
    expect(
      secretValues({ password: 'p', auth: { api_key: 'k', user: 'u' }, list: [{ token: 't' }], secret: '' }),
    ).toEqual(['p', 'k', 't']);
  });
});
