import { describe, expect } from 'vitest';
import { expectCode } from './expect-code.js';
import { conformanceTest } from './harness.js';
import type { ResolvedOptions } from './options.js';

/** destroyVolume(): the volume goes, others stay, and a second destroy is refused. */
export function destroyTests(options: ResolvedOptions): void {
  describe('destroyVolume', () => {
    conformanceTest('destroyVolume(unknown id) rejects with UNKNOWN_VOLUME', options, async ({ api }) => {
      const blockDeviceId = options.unknownBlockDeviceId();
      await expectCode(api.destroyVolume(blockDeviceId), 'UNKNOWN_VOLUME', { blockDeviceId });
    });

    conformanceTest('destroyVolume() removes the volume and leaves others listed', options, async (h) => {
      const unrelated = await h.createVolume();
      const volume = await h.createVolume();
      await h.api.destroyVolume(volume.blockDeviceId);
      await h.eventually(async () => expect(await h.api.listVolumes()).toEqual([unrelated]));
      await h.expectBackendLacks(volume.blockDeviceId);
    });

    conformanceTest('destroyVolume(destroyed volume) rejects with UNKNOWN_VOLUME', options, async (h) => {
      const volume = await h.createVolume();
      await h.api.destroyVolume(volume.blockDeviceId);
      await expectCode(h.api.destroyVolume(volume.blockDeviceId), 'UNKNOWN_VOLUME', {
        blockDeviceId: volume.blockDeviceId,
      });
    });
  });
}
