import { randomBytes } from 'node:crypto';
import { allocatedSize, isResizable } from '@flockerjs/core-interface';
import { deviceSize } from '@flockerjs/linux-block';
import { describe, expect } from 'vitest';
import { expectCode } from './expect-code.js';
import { conformanceTest } from './harness.js';
import type { ResolvedOptions } from './options.js';
import { readDevice, writeDevice } from './os.js';

/** IResizableBlockDeviceAPI, run when the driver declares `capabilities.resize`. */
export function resizeTests(options: ResolvedOptions): void {
  describe('resizeVolume', () => {
    conformanceTest(
      'resizeVolume() grows an unattached volume to the new size, keeping its data',
      options,
      async (h, context) => {
        const { api } = h;
        if (!isResizable(api)) return context.skip('the driver does not declare capabilities.resize');
        const volume = await h.createAttachedVolume();
        const marker = randomBytes(4096);
        await writeDevice(await api.getDevicePath(volume.blockDeviceId), 0, marker);
        await api.detachVolume(volume.blockDeviceId);

        const size = volume.size + (await api.allocationUnit());
        const grown = await api.resizeVolume(volume.blockDeviceId, size);
        expect(grown).toEqual({ ...volume, attachedTo: null, size });
        await h.eventually(async () => expect(await api.listVolumes()).toEqual([grown]));
        await h.expectBackendHolds(grown);

        await api.attachVolume(volume.blockDeviceId, h.thisNode);
        const device = await api.getDevicePath(volume.blockDeviceId);
        expect(await deviceSize(device)).toBe(allocatedSize(options.deviceAllocationUnit, size));
        expect((await readDevice(device, 0, marker.length)).equals(marker), 'its data is gone').toBe(true);
      },
    );

    conformanceTest(
      'resizeVolume() refuses an attached volume, a size not larger or off the unit, and an unknown id, changing nothing',
      options,
      async (h, context) => {
        const { api } = h;
        if (!isResizable(api)) return context.skip('the driver does not declare capabilities.resize');
        const unit = await api.allocationUnit();
        const attached = await h.createAttachedVolume();
        const unattached = await h.createVolume();
        const unknown = options.unknownBlockDeviceId();

        const { blockDeviceId } = unattached;
        await expectCode(api.resizeVolume(attached.blockDeviceId, attached.size + unit), 'ALREADY_ATTACHED', {
          blockDeviceId: attached.blockDeviceId,
        });
        for (const size of [unattached.size, unattached.size - unit, unattached.size + unit + 0.5]) {
          await expectCode(api.resizeVolume(blockDeviceId, size), 'INVALID_SIZE', { size });
        }
        if (unit > 1)
          await expectCode(api.resizeVolume(blockDeviceId, unattached.size + unit / 2), 'INVALID_SIZE');
        await expectCode(api.resizeVolume(unknown, unattached.size + unit), 'UNKNOWN_VOLUME', {
          blockDeviceId: unknown,
        });

        await h.eventually(async () =>
          expect(await api.listVolumes()).toEqual(expect.arrayContaining([attached, unattached])),
        );
        await h.expectBackendHolds(attached);
        await h.expectBackendHolds(unattached);
      },
    );
  });
}
