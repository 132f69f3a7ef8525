import { randomBytes } from 'node:crypto';
import { withAttachedTo } from '@flockerjs/core-interface';
import { describe, expect } from 'vitest';
import { expectCode } from './expect-code.js';
import { conformanceTest } from './harness.js';
import { sorted } from './list.js';
import type { ResolvedOptions } from './options.js';
import { deviceNoLongerServes, writeDevice } from './os.js';
import { otherNode } from './other-node.js';

/** detachVolume(): refusals, the listing, and the device really going away. */
export function detachTests(options: ResolvedOptions): void {
  describe('detachVolume', () => {
    conformanceTest('detachVolume(unknown id) rejects with UNKNOWN_VOLUME', options, async ({ api }) => {
      const blockDeviceId = options.unknownBlockDeviceId();
      await expectCode(api.detachVolume(blockDeviceId), 'UNKNOWN_VOLUME', { blockDeviceId });
    });

    conformanceTest('detachVolume(volume never attached) rejects with UNATTACHED', options, async (h) => {
      const volume = await h.createVolume();
      await expectCode(h.api.detachVolume(volume.blockDeviceId), 'UNATTACHED', {
        blockDeviceId: volume.blockDeviceId,
      });
    });

    conformanceTest(
      'detachVolume() detaches a volume from whichever node holds it, another node included',
      options,
      async (h, context) => {
        const node = await otherNode(options, h.thisNode, context);
        const volume = await h.createVolume();
        await h.api.attachVolume(volume.blockDeviceId, node);
        await h.api.detachVolume(volume.blockDeviceId);
        await h.eventually(async () => expect(await h.api.listVolumes()).toEqual([volume]));
        await h.expectBackendHolds(volume);
        // Detached for real: it attaches here now.
        const here = await h.api.attachVolume(volume.blockDeviceId, h.thisNode);
        expect(here).toEqual(withAttachedTo(volume, h.thisNode));
      },
    );

    conformanceTest(
      'detachVolume() lists the volume as unattached and removes its device, leaving others attached',
      options,
      async (h) => {
        const unrelated = await h.createAttachedVolume();
        const volume = await h.createAttachedVolume();
        const device = await h.api.getDevicePath(volume.blockDeviceId);
        // A random marker tells this volume's device apart from any device that later takes the same name.
        const marker = randomBytes(4096);
        await writeDevice(device, 0, marker);

        await h.api.detachVolume(volume.blockDeviceId);

        await h.eventually(async () =>
          expect(sorted(await h.api.listVolumes())).toEqual(
            sorted([unrelated, withAttachedTo(volume, null)]),
          ),
        );
        await h.expectBackendHolds(withAttachedTo(volume, null));
        await h.eventually(async () =>
          expect(
            await deviceNoLongerServes(device, 0, marker),
            `${device} still serves the detached volume`,
          ).toBe(true),
        );
      },
    );
  });
}
