import { describe, expect, it } from 'vitest';
import { blockDeviceIdFor, datasetIdOf, parseVolumeFileName, volumeFileName } from '../src/layout.js';

const DATASET = '0f3c2b8e-6a1d-4c5e-9b7a-2d4e6f8a0b1c';

describe('volume ids and file names', () => {
  it('derives the block device id from the dataset and back', () => {
    expect(blockDeviceIdFor(DATASET)).toBe(`block-${DATASET}`);
    expect(datasetIdOf(`block-${DATASET}`)).toBe(DATASET);
  });

  it('recognises only well-formed ids, so no id from outside becomes a path', () => {
    for (const id of [
      '',
      DATASET,
      `block-${DATASET}/..`,
      `block-../../etc/passwd`,
      `block-${DATASET.toUpperCase()}`,
    ]) {
      expect(datasetIdOf(id), id).toBeUndefined();
    }
  });

  it('round-trips <id>_<size> file names', () => {
    const name = volumeFileName(`block-${DATASET}`, 16777216);
    expect(name).toBe(`block-${DATASET}_16777216`);
    expect(parseVolumeFileName(name)).toEqual({ blockDeviceId: `block-${DATASET}`, size: 16777216 });
  });

  it('ignores files that are not volumes', () => {
    for (const name of [
      'node-id',
      `block-${DATASET}`,
      `block-${DATASET}_0`,
      `block-${DATASET}_12x`,
      `.block-${DATASET}_1.swp`,
    ]) {
      expect(parseVolumeFileName(name), name).toBeUndefined();
    }
  });
});
