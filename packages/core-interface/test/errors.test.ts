import { describe, expect, it } from 'vitest';
import {
  AlreadyAttachedError,
  BackendError,
  CertificateError,
  DatasetExistsError,
  ERROR_CODES,
  FlockerError,
  hasCode,
  InvalidConfigError,
  InvalidIdError,
  InvalidSizeError,
  PeerRefusedError,
  PluginLoadError,
  TimeoutError,
  UnattachedVolumeError,
  UnknownInstanceIdError,
  UnknownVolumeError,
} from '../src/index.js';

const DATASET = '0b4d1f3c-6a52-4b0e-9d3f-2f8e7a1c5b6d';

interface Case {
  readonly error: FlockerError;
  readonly code: string;
  readonly name: string;
  readonly fields: Record<string, unknown>;
  readonly message: readonly string[];
}

const cases: readonly Case[] = [
  {
    error: new UnknownVolumeError('vol-1'),
    code: 'UNKNOWN_VOLUME',
    name: 'UnknownVolumeError',
    fields: { blockDeviceId: 'vol-1' },
    message: ['"vol-1"'],
  },
  {
    error: new AlreadyAttachedError('vol-1', 'node-a'),
    code: 'ALREADY_ATTACHED',
    name: 'AlreadyAttachedError',
    fields: { blockDeviceId: 'vol-1', attachedTo: 'node-a' },
    message: ['"vol-1"', 'already attached', '"node-a"'],
  },
  {
    error: new UnattachedVolumeError('vol-1'),
    code: 'UNATTACHED',
    name: 'UnattachedVolumeError',
    fields: { blockDeviceId: 'vol-1' },
    message: ['"vol-1"', 'is not attached'],
  },
  {
    error: new UnknownInstanceIdError('no metadata service'),
    code: 'UNKNOWN_INSTANCE_ID',
    name: 'UnknownInstanceIdError',
    fields: {},
    message: ['instance id', 'no metadata service'],
  },
  {
    error: new DatasetExistsError(DATASET, 'vol-1'),
    code: 'DATASET_EXISTS',
    name: 'DatasetExistsError',
    fields: { datasetId: DATASET, blockDeviceId: 'vol-1' },
    message: [DATASET, '"vol-1"'],
  },
  {
    error: new InvalidSizeError(1.5, 'expected a whole number of bytes'),
    code: 'INVALID_SIZE',
    name: 'InvalidSizeError',
    fields: { size: 1.5 },
    message: ['1.5', 'expected a whole number of bytes'],
  },
  {
    error: new InvalidIdError('dataset id', 'ABC', 'a lowercase UUID'),
    code: 'INVALID_ID',
    name: 'InvalidIdError',
    fields: { kind: 'dataset id', value: 'ABC' },
    message: ['dataset id', '"ABC"', 'a lowercase UUID'],
  },
  {
    error: new InvalidConfigError(['version: required key is missing'], '/etc/flocker/agent.yml'),
    code: 'INVALID_CONFIG',
    name: 'InvalidConfigError',
    fields: { problems: ['version: required key is missing'] },
    message: ['/etc/flocker/agent.yml', 'version: required key is missing'],
  },
  {
    error: new PluginLoadError('my-backend', 'is not importable'),
    code: 'PLUGIN_LOAD',
    name: 'PluginLoadError',
    fields: { specifier: 'my-backend' },
    message: ['"my-backend"', 'is not importable'],
  },
  {
    error: new TimeoutError('volume vol-1 to become available', 3000, 'creating'),
    code: 'TIMEOUT',
    name: 'TimeoutError',
    fields: { what: 'volume vol-1 to become available', timeoutMs: 3000, lastState: 'creating' },
    message: ['3000 ms', 'volume vol-1 to become available', '"creating"'],
  },
  {
    error: new BackendError('CreateVolume', 'quota exceeded'),
    code: 'BACKEND',
    name: 'BackendError',
    fields: { operation: 'CreateVolume' },
    message: ['CreateVolume failed', 'quota exceeded'],
  },
  {
    error: new CertificateError('/etc/flocker/node.key', 'no such file'),
    code: 'CERTIFICATE',
    name: 'CertificateError',
    fields: { path: '/etc/flocker/node.key' },
    message: ['/etc/flocker/node.key', 'no such file'],
  },
  {
    error: new PeerRefusedError('user-alice', 'a node certificate is required'),
    code: 'PEER_REFUSED',
    name: 'PeerRefusedError',
    fields: { peer: 'user-alice' },
    message: ['"user-alice"', 'a node certificate is required'],
  },
];

describe('error classes', () => {
  it.each(cases)('$name has code $code, its name and its ids', ({ error, code, name, fields, message }) => {
    expect(error).toBeInstanceOf(FlockerError);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe(code);
    expect(error.name).toBe(name);
    expect(error).toMatchObject(fields);
    for (const part of message) expect(error.message).toContain(part);
  });

  it('covers every code in ERROR_CODES exactly once', () => {
    expect(cases.map((c) => c.code).sort()).toEqual([...ERROR_CODES].sort());
  });

  it('declares every id readonly (enforced by tsc -p tsconfig.test.json, not at run time)', () => {
    const volume = new DatasetExistsError(DATASET, 'vol-1');
    const timeout = new TimeoutError('x', 1, 'y');
    // Never called: each @ts-expect-error fails the type check if the field becomes writable.
    const mutations = [
      () => {
        // @ts-expect-error datasetId is readonly
        volume.datasetId = 'other';
      },
      () => {
        // @ts-expect-error blockDeviceId is readonly
        volume.blockDeviceId = 'other';
      },
      () => {
        // @ts-expect-error code is readonly
        volume.code = 'BACKEND';
      },
      () => {
        // @ts-expect-error lastState is readonly
        timeout.lastState = 'other';
      },
    ];
    expect(mutations).toHaveLength(4);
    expect(volume.datasetId).toBe(DATASET);
  });

  it('AlreadyAttachedError(id, null) does not name a node', () => {
    const error = new AlreadyAttachedError('vol-1', null);
    expect(error.attachedTo).toBeNull();
    expect(error.message).toBe('volume "vol-1" is already attached');
  });

  it('UnattachedVolumeError takes a detail replacing "is not attached"', () => {
    const error = new UnattachedVolumeError('vol-1', 'is attached to another node');
    expect(error.message).toBe('volume "vol-1" is attached to another node');
  });

  it('InvalidConfigError lists each problem on its own line and freezes the list', () => {
    const problems = ['version: required key is missing', 'extra: unknown key'];
    const error = new InvalidConfigError(problems);
    expect(error.message).toBe(
      'invalid configuration:\n  - version: required key is missing\n  - extra: unknown key',
    );
    expect(Object.isFrozen(error.problems)).toBe(true);
    // A later change to the caller's array must not rewrite the error.
    problems.push('later');
    expect(error.problems).toHaveLength(2);
  });

  it('TimeoutError without any observed state says so', () => {
    expect(new TimeoutError('x', 10, undefined).message).toBe(
      'timed out after 10 ms waiting for x (nothing observed)',
    );
  });

  it('TimeoutError with a BigInt in its last state is TIMEOUT with a message showing it', () => {
    const lastState = { n: 1n };
    const error = new TimeoutError('x', 10, lastState);
    expect(error).toMatchObject({ code: 'TIMEOUT', lastState });
    expect(error.message).toBe('timed out after 10 ms waiting for x (last state { n: 1n })');
  });

  it('TimeoutError with a circular last state is TIMEOUT with a message marking the cycle', () => {
    const lastState: Record<string, unknown> = { phase: 'attaching' };
    lastState.self = lastState;
    const error = new TimeoutError('volume vol-1 to attach', 10, lastState);
    expect(error.code).toBe('TIMEOUT');
    expect(error.lastState).toBe(lastState);
    expect(error.message).toMatch(
      /^timed out after 10 ms waiting for volume vol-1 to attach \(last state .*phase: 'attaching'.*\[Circular/,
    );
  });

  it.each([
    ['UnknownVolumeError', (cause: unknown) => new UnknownVolumeError('vol-1', { cause })],
    ['UnknownInstanceIdError', (cause: unknown) => new UnknownInstanceIdError('x', { cause })],
    ['PluginLoadError', (cause: unknown) => new PluginLoadError('x', 'y', { cause })],
    ['BackendError', (cause: unknown) => new BackendError('op', 'y', { cause })],
    ['FlockerError', (cause: unknown) => new FlockerError('BACKEND', 'y', { cause })],
  ])('%s carries its cause', (_name, make) => {
    const cause = new Error('socket hang up');
    expect(make(cause).cause).toBe(cause);
  });
});

describe('hasCode', () => {
  it('is true for an error of this package with that code', () => {
    expect(hasCode(new UnknownVolumeError('vol-1'), 'UNKNOWN_VOLUME')).toBe(true);
  });

  it('is true for a plain object with that code, as another copy of the package would make', () => {
    const foreign = Object.assign(new Error('no such volume'), { code: 'UNKNOWN_VOLUME' });
    expect(foreign).not.toBeInstanceOf(FlockerError);
    expect(hasCode(foreign, 'UNKNOWN_VOLUME')).toBe(true);
    expect(hasCode({ code: 'TIMEOUT' }, 'TIMEOUT')).toBe(true);
  });

  it('is false for another code, a value without one, or a non-object', () => {
    expect(hasCode(new UnknownVolumeError('vol-1'), 'UNATTACHED')).toBe(false);
    expect(hasCode(new Error('x'), 'BACKEND')).toBe(false);
    expect(hasCode({}, 'BACKEND')).toBe(false);
    expect(hasCode(null, 'BACKEND')).toBe(false);
    expect(hasCode(undefined, 'BACKEND')).toBe(false);
    expect(hasCode('BACKEND', 'BACKEND')).toBe(false);
  });
});
