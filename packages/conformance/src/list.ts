import { randomUUID } from 'node:crypto';
import { type BlockDeviceVolume, withAttachedTo } from '@flockerjs/core-interface';
import { describe, expect } from 'vitest';
import { conformanceTest } from './harness.js';
import type { ResolvedOptions } from './options.js';
import { otherNode } from './other-node.js';

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

    conformanceTest(
      'listVolumes() lists a volume attached to another node as attached there',
      options,
      async (h, context) => {
        const node = await otherNode(options, h.thisNode, context);
        const here = await h.createAttachedVolume();
        const volume = await h.createVolume();
        await h.api.attachVolume(volume.blockDeviceId, node);
        await h.eventually(async () =>
          expect(sorted(await h.api.listVolumes())).toEqual(sorted([here, withAttachedTo(volume, node)])),
        );
      },
    );

    conformanceTest(
      'listVolumes() is complete when the volumes fill more than one page of the backend',
      options,
      async (h, context) => {
        const { listPageSize } = options;
        if (listPageSize === undefined) {
          return context.skip("the backend's listing has no pages (no listPageSize option)");
        }
        const volumes: BlockDeviceVolume[] = [];
        // A few at a time: a page may be large, and the backend need not take them all at once.
        while (volumes.length <= listPageSize) {
          const batch = Math.min(4, listPageSize + 1 - volumes.length);
          volumes.push(...(await Promise.all(Array.from({ length: batch }, () => h.createVolume()))));
        }
        await h.eventually(async () => expect(sorted(await h.api.listVolumes())).toEqual(sorted(volumes)));
      },
    );

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
