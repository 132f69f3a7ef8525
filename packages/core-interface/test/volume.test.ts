import { describe, expect, it } from 'vitest';
import {
  type BlockDeviceVolume,
  blockDeviceVolume,
  compareVolumes,
  sameVolume,
  withAttachedTo,
} from '../src/index.js';

const DATASET_A = '0b4d1f3c-6a52-4b0e-9d3f-2f8e7a1c5b6d';
const DATASET_B = '7c1e9a20-3f4b-4d8e-a6c2-5b9d0e1f2a3b';

const base: BlockDeviceVolume = {
  blockDeviceId: 'vol-1',
  size: 1024,
  attachedTo: null,
  datasetId: DATASET_A,
};

describe('blockDeviceVolume', () => {
  it('returns a frozen copy with exactly the four fields', () => {
    const input = { ...base, extra: 'dropped' };
    const volume = blockDeviceVolume(input);
    expect(Object.isFrozen(volume)).toBe(true);
    expect(volume).not.toBe(input);
    expect(Object.keys(volume).sort()).toEqual(['attachedTo', 'blockDeviceId', 'datasetId', 'size']);
    // ESM is strict mode, so writing to a frozen object throws instead of being ignored.
    expect(() => {
      (volume as { size: number }).size = 2048;
    }).toThrow(TypeError);
  });

  it('rejects an empty blockDeviceId with a TypeError naming the field', () => {
    expect(() => blockDeviceVolume({ ...base, blockDeviceId: '' })).toThrow(
      /blockDeviceId must be a non-empty string/,
    );
  });

  it.each([
    ['an empty string', '', 'got ""'],
    ['undefined', undefined, 'got undefined'],
  ])(
    'rejects attachedTo %s with a TypeError, accepting only null or a node id',
    (_title, attachedTo, got) => {
      const fields = { ...base, attachedTo: attachedTo as unknown as string | null };
      expect(() => blockDeviceVolume(fields)).toThrow(TypeError);
      expect(() => blockDeviceVolume(fields)).toThrow(`attachedTo must be null or a node id, ${got}`);
      expect(blockDeviceVolume({ ...base, attachedTo: null }).attachedTo).toBeNull();
      expect(blockDeviceVolume({ ...base, attachedTo: 'node-a' }).attachedTo).toBe('node-a');
    },
  );

  it('rejects a bad size with INVALID_SIZE', () => {
    expect(() => blockDeviceVolume({ ...base, size: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_SIZE' }),
    );
    expect(() => blockDeviceVolume({ ...base, size: 1.5 })).toThrow(
      expect.objectContaining({ code: 'INVALID_SIZE' }),
    );
  });

  it('rejects a dataset id that is not a lowercase UUID with INVALID_ID naming it', () => {
    expect(() => blockDeviceVolume({ ...base, datasetId: 'dataset-1' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ID', message: expect.stringContaining('"dataset-1"') }),
    );
  });

  it('compares structurally with toEqual', () => {
    expect(blockDeviceVolume(base)).toEqual({ ...base });
    expect(blockDeviceVolume(base)).toEqual(blockDeviceVolume({ ...base }));
    expect(blockDeviceVolume(base)).not.toEqual(blockDeviceVolume({ ...base, size: 2048 }));
  });
});

describe('withAttachedTo', () => {
  it('returns a frozen attached copy and leaves the original alone', () => {
    const volume = blockDeviceVolume(base);
    const attached = withAttachedTo(volume, 'node-a');
    expect(attached).toEqual({ ...base, attachedTo: 'node-a' });
    expect(Object.isFrozen(attached)).toBe(true);
    expect(volume.attachedTo).toBeNull();
  });

  it('detaches with null', () => {
    const attached = blockDeviceVolume({ ...base, attachedTo: 'node-a' });
    expect(withAttachedTo(attached, null)).toEqual(base);
  });
});

describe('sameVolume', () => {
  it('is true for distinct objects with equal fields', () => {
    expect(sameVolume(blockDeviceVolume(base), { ...base })).toBe(true);
  });

  it.each([
    ['blockDeviceId', { blockDeviceId: 'vol-2' }],
    ['size', { size: 2048 }],
    ['attachedTo', { attachedTo: 'node-a' }],
    ['datasetId', { datasetId: DATASET_B }],
  ])('is false when %s differs', (_field, change) => {
    expect(sameVolume(base, { ...base, ...change })).toBe(false);
  });
});

describe('compareVolumes', () => {
  // Listed in the expected order; each neighbour pair differs in exactly one sort key.
  const ordered: BlockDeviceVolume[] = [
    { blockDeviceId: 'vol-1', datasetId: DATASET_A, size: 1024, attachedTo: null },
    { blockDeviceId: 'vol-1', datasetId: DATASET_A, size: 1024, attachedTo: 'node-a' },
    { blockDeviceId: 'vol-1', datasetId: DATASET_A, size: 1024, attachedTo: 'node-b' },
    { blockDeviceId: 'vol-1', datasetId: DATASET_A, size: 2048, attachedTo: null },
    { blockDeviceId: 'vol-1', datasetId: DATASET_B, size: 1024, attachedTo: null },
    { blockDeviceId: 'vol-2', datasetId: DATASET_A, size: 512, attachedTo: null },
  ];

  it('sorts by blockDeviceId, then datasetId, then size, then attachedTo (null first)', () => {
    const shuffled = [
      ordered[3],
      ordered[5],
      ordered[0],
      ordered[4],
      ordered[2],
      ordered[1],
    ] as BlockDeviceVolume[];
    expect(shuffled.sort(compareVolumes)).toEqual(ordered);
  });

  it('is antisymmetric and zero only for equal volumes', () => {
    for (const [i, a] of ordered.entries()) {
      for (const [j, b] of ordered.entries()) {
        expect(Math.sign(compareVolumes(a, b))).toBe(Math.sign(i - j));
      }
    }
  });

  it('puts sizes in numeric, not string, order', () => {
    const small = { ...base, size: 9 };
    const large = { ...base, size: 10 };
    expect(compareVolumes(small, large)).toBeLessThan(0);
  });
});
