import { randomUUID } from 'node:crypto';
import { allocatedSize } from '@flockerjs/core-interface';
import { deviceSize } from '@flockerjs/linux-block';
import { describe, expect } from 'vitest';
import { expectCode } from './expect-code.js';
import { conformanceTest } from './harness.js';
import { sorted } from './list.js';
import type { ResolvedOptions } from './options.js';

/** createVolume(): exact sizes, labels, refusals, and concurrency. */
export function createTests(options: ResolvedOptions): void {
  describe('createVolume', () => {
    conformanceTest(
      'createVolume() returns an unattached volume with the dataset id and size',
      options,
      async (h) => {
        const datasetId = randomUUID();
        const volume = await h.api.createVolume(datasetId, options.minimumAllocatableSize);
        expect(volume).toMatchObject({ datasetId, size: options.minimumAllocatableSize, attachedTo: null });
        await h.expectBackendHolds(volume);
      },
    );

    conformanceTest(
      'createVolume(minimum size) makes a device of that size, rounded up to the device allocation unit',
      options,
      async (h) => {
        const volume = await h.createAttachedVolume();
        const expectedDeviceSize = allocatedSize(
          options.deviceAllocationUnit,
          options.minimumAllocatableSize,
        );
        await h.eventually(async () => {
          const listed = (await h.api.listVolumes()).find((v) => v.blockDeviceId === volume.blockDeviceId);
          const device = await h.api.getDevicePath(volume.blockDeviceId);
          expect({ listedSize: listed?.size, deviceSize: await deviceSize(device) }).toEqual({
            listedSize: options.minimumAllocatableSize,
            deviceSize: expectedDeviceSize,
          });
        });
      },
    );

    conformanceTest(
      'createVolume(size that is not a positive multiple of the allocation unit) rejects with INVALID_SIZE',
      options,
      async ({ api }) => {
        const unit = await api.allocationUnit();
        const bad = [0, -unit, options.minimumAllocatableSize + 0.5, Number.NaN];
        if (unit > 1) bad.push(options.minimumAllocatableSize + unit / 2, unit - 1);
        for (const size of bad)
          await expectCode(api.createVolume(randomUUID(), size), 'INVALID_SIZE', { size });
        expect(await api.listVolumes()).toEqual([]);
      },
    );

    conformanceTest(
      'createVolume(dataset id that is not a UUID) rejects with INVALID_ID',
      options,
      async ({ api }) => {
        for (const datasetId of ['', 'not-a-uuid', '../../etc', randomUUID().toUpperCase()]) {
          await expectCode(api.createVolume(datasetId, options.minimumAllocatableSize), 'INVALID_ID');
        }
        expect(await api.listVolumes()).toEqual([]);
      },
    );

    conformanceTest(
      'createVolume() for a dataset that has a volume returns it or refuses with DATASET_EXISTS, as declared, never a second',
      options,
      async (h) => {
        const datasetId = randomUUID();
        const first = await h.api.createVolume(datasetId, options.minimumAllocatableSize);
        const again = h.api.createVolume(datasetId, options.minimumAllocatableSize);
        if (h.api.capabilities.idempotentCreate === true) expect(await again).toEqual(first);
        else await expectCode(again, 'DATASET_EXISTS');
        await h.eventually(async () => expect(await h.api.listVolumes()).toEqual([first]));
        await h.expectBackendHolds(first);
      },
    );

    conformanceTest('parallel createVolume() calls give distinct volumes, all listed', options, async (h) => {
      const volumes = await Promise.all(Array.from({ length: 4 }, () => h.createVolume()));
      expect(new Set(volumes.map((volume) => volume.blockDeviceId)).size).toBe(volumes.length);
      await h.eventually(async () => expect(sorted(await h.api.listVolumes())).toEqual(sorted(volumes)));
    });
  });
}
