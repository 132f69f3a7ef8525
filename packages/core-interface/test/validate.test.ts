import { describe, expect, it } from 'vitest';
import {
  allocatedSize,
  assertDatasetId,
  assertVolumeSize,
  capabilityProblems,
  checkAllocatableSize,
  isUuid,
} from '../src/index.js';

const GiB = 2 ** 30;

describe('allocatedSize', () => {
  it('returns an exact multiple of the unit unchanged', () => {
    expect(allocatedSize(1024, 2048)).toBe(2048);
    expect(allocatedSize(1, 7)).toBe(7);
    expect(allocatedSize(GiB, GiB)).toBe(GiB);
  });

  it('rounds up to the next multiple of the unit', () => {
    expect(allocatedSize(1024, 1)).toBe(1024);
    expect(allocatedSize(1024, 1025)).toBe(2048);
    expect(allocatedSize(GiB, 2047)).toBe(GiB);
  });

  it('stays exact for large sizes such as 2**50 bytes', () => {
    expect(allocatedSize(GiB, 2 ** 50)).toBe(2 ** 50);
    expect(allocatedSize(GiB, 2 ** 50 + 1)).toBe(2 ** 50 + GiB);
  });

  it.each([
    ['unit 0', 0, 1024],
    ['unit -1024', -1024, 1024],
    ['unit 1.5', 1.5, 1024],
    ['requested 0', 1024, 0],
    ['requested -1', 1024, -1],
    ['requested NaN', 1024, Number.NaN],
    ['requested Infinity', 1024, Number.POSITIVE_INFINITY],
  ])('rejects %s with INVALID_SIZE', (_title, unit, requested) => {
    expect(() => allocatedSize(unit, requested)).toThrow(expect.objectContaining({ code: 'INVALID_SIZE' }));
  });
});

describe('allocatedSize beyond the safe range', () => {
  it('rejects with INVALID_SIZE when the rounded-up size would not be a safe integer', () => {
    expect(() => allocatedSize(2 ** 52, 2 ** 53 - 1)).toThrow(
      expect.objectContaining({
        code: 'INVALID_SIZE',
        size: 2 ** 53,
        message: 'invalid volume size 9007199254740992: expected a whole number of bytes',
      }),
    );
  });
});

describe('checkAllocatableSize', () => {
  it('returns a positive multiple of the unit', () => {
    expect(checkAllocatableSize(1024, 4096)).toBe(4096);
  });

  it('rejects a size that is not a multiple with INVALID_SIZE naming the size and the unit', () => {
    expect(() => checkAllocatableSize(1024, 1000)).toThrow(
      expect.objectContaining({
        code: 'INVALID_SIZE',
        size: 1000,
        message: 'invalid volume size 1000: not a multiple of the allocation unit 1024 bytes',
      }),
    );
  });

  it('rejects a size that is not a positive whole number with INVALID_SIZE', () => {
    expect(() => checkAllocatableSize(1024, 0)).toThrow(expect.objectContaining({ code: 'INVALID_SIZE' }));
    expect(() => checkAllocatableSize(1024, 1024.5)).toThrow(
      expect.objectContaining({ code: 'INVALID_SIZE' }),
    );
  });
});

describe('checkAllocatableSize unit', () => {
  it.each([
    ['1.5', 1.5, 'expected a whole number of bytes'],
    ['0', 0, 'expected more than 0 bytes'],
  ])('rejects the unit %s with INVALID_SIZE naming the unit', (_title, unit, reason) => {
    expect(() => checkAllocatableSize(unit, 3)).toThrow(
      expect.objectContaining({
        code: 'INVALID_SIZE',
        size: unit,
        message: `invalid volume size ${unit}: ${reason}`,
      }),
    );
  });
});

describe('assertVolumeSize', () => {
  it('returns a positive safe integer', () => {
    expect(assertVolumeSize(1)).toBe(1);
    expect(assertVolumeSize(Number.MAX_SAFE_INTEGER)).toBe(Number.MAX_SAFE_INTEGER);
  });

  it.each([
    ['0', 0, 'expected more than 0 bytes'],
    ['-1', -1, 'expected more than 0 bytes'],
    ['1.5', 1.5, 'expected a whole number of bytes'],
    ['NaN', Number.NaN, 'expected a whole number of bytes'],
    ["the string '16'", '16', 'expected a whole number of bytes'],
    ['2**53 (not exactly representable)', 2 ** 53, 'expected a whole number of bytes'],
    ['undefined', undefined, 'expected a whole number of bytes'],
  ])('rejects %s with INVALID_SIZE saying why', (_title, size, reason) => {
    expect(() => assertVolumeSize(size)).toThrow(
      expect.objectContaining({
        code: 'INVALID_SIZE',
        size,
        message: `invalid volume size ${String(size)}: ${reason}`,
      }),
    );
  });
});

describe('isUuid and assertDatasetId', () => {
  const id = '0b4d1f3c-6a52-4b0e-9d3f-2f8e7a1c5b6d';

  it('accept a lowercase canonical UUID', () => {
    expect(isUuid(id)).toBe(true);
    expect(assertDatasetId(id)).toBe(id);
  });

  it.each([
    ['an uppercase UUID', id.toUpperCase()],
    ['a UUID without hyphens', id.replaceAll('-', '')],
    ['a UUID in braces', `{${id}}`],
    ['a UUID with trailing text', `${id}x`],
    ['an empty string', ''],
    ['a number', 42],
    ['undefined', undefined],
  ])('isUuid rejects %s', (_title, value) => {
    expect(isUuid(value)).toBe(false);
  });

  it('assertDatasetId rejects a BigInt with INVALID_ID naming the value', () => {
    expect(() => assertDatasetId(1n)).toThrow(
      expect.objectContaining({
        code: 'INVALID_ID',
        kind: 'dataset id',
        value: 1n,
        message: 'invalid dataset id 1n: expected a lowercase UUID',
      }),
    );
  });

  it('assertDatasetId rejects an uppercase UUID with INVALID_ID naming the value', () => {
    const upper = id.toUpperCase();
    expect(() => assertDatasetId(upper)).toThrow(
      expect.objectContaining({
        code: 'INVALID_ID',
        kind: 'dataset id',
        value: upper,
        message: `invalid dataset id "${upper}": expected a lowercase UUID`,
      }),
    );
  });
});

describe('capabilityProblems', () => {
  const declared = { profiles: false, cloudApi: false, startNode: false, resize: false };

  it('finds nothing wrong with the four declarations, with or without the two optional ones', () => {
    expect(capabilityProblems({ capabilities: declared })).toEqual([]);
    expect(
      capabilityProblems({ capabilities: { ...declared, idempotentCreate: true, destroysAttached: false } }),
    ).toEqual([]);
  });

  it('names a missing key and an unknown one, with the key it is close to', () => {
    // A plain-JS driver written to an older table: no resize, and resizeVolume's capability misnamed.
    const { resize: _resize, ...older } = declared;
    expect(
      capabilityProblems({ capabilities: { ...older, resizable: true, cloudAPI: false } } as never),
    ).toEqual([
      'capabilities.resize: required key is missing',
      'capabilities.resizable: unknown key; did you mean resize?',
      'capabilities.cloudAPI: unknown key; did you mean cloudApi?',
    ]);
  });

  it('names a value that is not a boolean, and missing capabilities as a whole', () => {
    expect(capabilityProblems({ capabilities: { ...declared, profiles: 'yes' } } as never)).toEqual([
      'capabilities.profiles: Invalid input: expected boolean, received string',
    ]);
    expect(capabilityProblems({} as never)).toEqual(['capabilities: required key is missing']);
  });

  it('names a declaration without the member it promises', () => {
    expect(
      capabilityProblems({
        capabilities: { ...declared, resize: true, profiles: true },
        createVolumeWithProfile() {},
      } as never),
    ).toEqual(['capabilities.resize: declared, but the API has no resizeVolume()']);
  });
});
