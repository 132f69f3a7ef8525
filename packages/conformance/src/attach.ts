import { withAttachedTo } from '@flockerjs/core-interface';
import { describe, expect } from 'vitest';
import { expectCode } from './expect-code.js';
import { conformanceTest } from './harness.js';
import type { ResolvedOptions } from './options.js';
import { otherNode } from './other-node.js';

/** attachVolume(): the returned value, the listing, and every refusal. */
export function attachTests(options: ResolvedOptions): void {
  describe('attachVolume', () => {
    conformanceTest(
      'attachVolume(unknown id) rejects with UNKNOWN_VOLUME',
      options,
      async ({ api, thisNode }) => {
        const blockDeviceId = options.unknownBlockDeviceId();
        await expectCode(api.attachVolume(blockDeviceId, thisNode), 'UNKNOWN_VOLUME', { blockDeviceId });
      },
    );

    conformanceTest(
      'attachVolume(volume attached here) rejects with ALREADY_ATTACHED',
      options,
      async (h) => {
        const volume = await h.createAttachedVolume();
        await expectCode(h.api.attachVolume(volume.blockDeviceId, h.thisNode), 'ALREADY_ATTACHED', {
          blockDeviceId: volume.blockDeviceId,
        });
      },
    );

    conformanceTest(
      'attachVolume(volume attached here, to another node) rejects with ALREADY_ATTACHED',
      options,
      async (h) => {
        const volume = await h.createAttachedVolume();
        // The already-attached check comes before any check of the target node.
        await expectCode(
          h.api.attachVolume(volume.blockDeviceId, `${h.thisNode}-different`),
          'ALREADY_ATTACHED',
          {
            blockDeviceId: volume.blockDeviceId,
          },
        );
      },
    );

    conformanceTest(
      'attachVolume(volume attached to another node) rejects with ALREADY_ATTACHED and leaves it there',
      options,
      async (h, context) => {
        const node = await otherNode(options, h.thisNode, context);
        const volume = await h.createVolume();
        const elsewhere = await h.api.attachVolume(volume.blockDeviceId, node);
        expect(elsewhere).toEqual(withAttachedTo(volume, node));
        await expectCode(h.api.attachVolume(volume.blockDeviceId, h.thisNode), 'ALREADY_ATTACHED', {
          blockDeviceId: volume.blockDeviceId,
        });
        await h.eventually(async () => expect(await h.api.listVolumes()).toEqual([elsewhere]));
        await h.expectBackendHolds(elsewhere);
      },
    );

    conformanceTest(
      'attachVolume() returns the volume attached to the node it was given',
      options,
      async (h) => {
        const volume = await h.createVolume();
        const attached = await h.api.attachVolume(volume.blockDeviceId, h.thisNode);
        expect(attached).toEqual(withAttachedTo(volume, h.thisNode));
        await h.expectBackendHolds(attached);
      },
    );

    conformanceTest('attachVolume() after detachVolume() attaches the volume again', options, async (h) => {
      const volume = await h.createVolume();
      const attached = await h.api.attachVolume(volume.blockDeviceId, h.thisNode);
      await h.api.detachVolume(volume.blockDeviceId);
      const reattached = await h.api.attachVolume(volume.blockDeviceId, h.thisNode);
      await h.eventually(async () =>
        expect({ reattached, listed: await h.api.listVolumes() }).toEqual({
          reattached: attached,
          listed: [attached],
        }),
      );
    });

    conformanceTest('attachVolume(destroyed volume) rejects with UNKNOWN_VOLUME', options, async (h) => {
      const volume = await h.createVolume();
      await h.api.destroyVolume(volume.blockDeviceId);
      await expectCode(h.api.attachVolume(volume.blockDeviceId, h.thisNode), 'UNKNOWN_VOLUME', {
        blockDeviceId: volume.blockDeviceId,
      });
    });
  });
}
