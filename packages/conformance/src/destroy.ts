import { randomBytes } from 'node:crypto';
import { describe, expect } from 'vitest';
import { expectCode } from './expect-code.js';
import { conformanceTest } from './harness.js';
import type { ResolvedOptions } from './options.js';
import { deviceNoLongerServes, readDevice, writeDevice } from './os.js';

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

    conformanceTest(
      'destroyVolume(attached volume) is refused with ALREADY_ATTACHED and keeps it, or destroys it, as declared',
      options,
      async (h) => {
        const volume = await h.createAttachedVolume();
        const device = await h.api.getDevicePath(volume.blockDeviceId);
        const marker = randomBytes(4096);
        await writeDevice(device, 0, marker);
        if (h.api.capabilities.destroysAttached === true) {
          await h.api.destroyVolume(volume.blockDeviceId);
          await h.eventually(async () => expect(await h.api.listVolumes()).toEqual([]));
          await h.expectBackendLacks(volume.blockDeviceId);
          await h.eventually(async () =>
            expect(await deviceNoLongerServes(device, 0, marker), `${device} still serves it`).toBe(true),
          );
          return;
        }
        await expectCode(h.api.destroyVolume(volume.blockDeviceId), 'ALREADY_ATTACHED', {
          blockDeviceId: volume.blockDeviceId,
        });
        // Kept as it was: listed, attached here, on the same device, with its data.
        await h.eventually(async () => expect(await h.api.listVolumes()).toEqual([volume]));
        await h.expectBackendHolds(volume);
        expect(await h.api.getDevicePath(volume.blockDeviceId)).toBe(device);
        expect((await readDevice(device, 0, marker.length)).equals(marker), 'its data is gone').toBe(true);
      },
    );

    conformanceTest('destroyVolume(destroyed volume) rejects with UNKNOWN_VOLUME', options, async (h) => {
      const volume = await h.createVolume();
      await h.api.destroyVolume(volume.blockDeviceId);
      await expectCode(h.api.destroyVolume(volume.blockDeviceId), 'UNKNOWN_VOLUME', {
        blockDeviceId: volume.blockDeviceId,
      });
    });
  });
}
