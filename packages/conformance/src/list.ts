import { randomUUID } from 'node:crypto';
import { describe, expect } from 'vitest';
import { conformanceTest } from './harness.js';
import type { ResolvedOptions } from './options.js';

/** listVolumes(): complete, exact, and limited to this API's volumes. */
export function listTests(options: ResolvedOptions): void {
  describe('listVolumes', () => {
    conformanceTest('listVolumes() of a fresh API is empty', options, async ({ api }) => {
      // No retries: a fresh API that lists anything sees volumes that are not its own.
      expect(await api.listVolumes()).toEqual([]);
    });

    conformanceTest('listVolumes() lists the volume createVolume() returned', options, async (h) => {
      const volume = await h.createVolume();
      await h.eventually(async () => expect(await h.api.listVolumes()).toContainEqual(volume));
    });

    conformanceTest(
      'listVolumes() reports the dataset id and size the volume was created with',
      options,
      async (h) => {
        const datasetId = randomUUID();
        await h.api.createVolume(datasetId, options.minimumAllocatableSize);
        await h.eventually(async () => {
          const listed = await h.api.listVolumes();
          expect(listed.map(({ datasetId, size }) => ({ datasetId, size }))).toEqual([
            { datasetId, size: options.minimumAllocatableSize },
          ]);
        });
      },
    );

    conformanceTest('listVolumes() lists an attached volume as attached to this node', options, async (h) => {
      const attached = await h.createAttachedVolume();
      await h.eventually(async () => expect(await h.api.listVolumes()).toEqual([attached]));
    });

    conformanceTest('listVolumes() lists attached and unattached volumes together', options, async (h) => {
      const unattached = await h.createVolume();
      const attached = await h.createAttachedVolume();
      await h.eventually(async () =>
        expect(sorted(await h.api.listVolumes())).toEqual(sorted([unattached, attached])),
      );
    });

    conformanceTest('listVolumes() lists several volumes attached to this node', options, async (h) => {
      const first = await h.createAttachedVolume();
      const second = await h.createAttachedVolume();
      await h.eventually(async () =>
        expect(sorted(await h.api.listVolumes())).toEqual(sorted([first, second])),
      );
    });
  });
}

export function sorted<T extends { readonly blockDeviceId: string }>(volumes: readonly T[]): T[] {
  return [...volumes].sort((a, b) => a.blockDeviceId.localeCompare(b.blockDeviceId));
}
