import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect } from 'vitest';
import { expectCode } from './expect-code.js';
import { conformanceTest } from './harness.js';
import { sorted } from './list.js';
import type { ResolvedOptions } from './options.js';
import { readDevice, writeDevice } from './os.js';

/** Beyond the original suite: data integrity, isolation, and failures that change nothing. */
export function dataTests(options: ResolvedOptions): void {
  describe('data and isolation', () => {
    conformanceTest(
      'data written to the device survives detach and re-attach byte for byte',
      options,
      async (h) => {
        const volume = await h.createAttachedVolume();
        const head = randomBytes(1024 * 1024);
        const tail = randomBytes(64 * 1024);
        const tailOffset = options.minimumAllocatableSize - tail.length;
        await writeDevice(await h.api.getDevicePath(volume.blockDeviceId), 0, head);
        await writeDevice(await h.api.getDevicePath(volume.blockDeviceId), tailOffset, tail);

        await h.api.detachVolume(volume.blockDeviceId);
        await h.api.attachVolume(volume.blockDeviceId, h.thisNode);

        const device = await h.api.getDevicePath(volume.blockDeviceId);
        expect((await readDevice(device, 0, head.length)).equals(head), 'first MiB differs').toBe(true);
        expect((await readDevice(device, tailOffset, tail.length)).equals(tail), 'last 64 KiB differ').toBe(
          true,
        );
      },
    );

    conformanceTest(
      'each volume keeps its own data: two written through their devices, re-attached one at a time',
      options,
      async (h) => {
        const volumes = [await h.createAttachedVolume(), await h.createAttachedVolume()];
        const markers = volumes.map(() => randomBytes(4096));
        for (const [index, volume] of volumes.entries()) {
          await writeDevice(await h.api.getDevicePath(volume.blockDeviceId), 0, markers[index] as Buffer);
        }
        for (const volume of volumes) await h.api.detachVolume(volume.blockDeviceId);
        // One at a time, so a driver that mixes up devices cannot be right by accident.
        for (const [index, volume] of volumes.entries()) {
          await h.api.attachVolume(volume.blockDeviceId, h.thisNode);
          const read = await readDevice(await h.api.getDevicePath(volume.blockDeviceId), 0, 4096);
          expect(read.equals(markers[index] as Buffer), `volume ${index + 1} reads its own bytes`).toBe(true);
          await h.api.detachVolume(volume.blockDeviceId);
        }
      },
    );

    conformanceTest('a refused call leaves every volume as it was', options, async (h) => {
      const attached = await h.createAttachedVolume();
      const unattached = await h.createVolume();
      const unknown = options.unknownBlockDeviceId();
      const before = sorted(await h.api.listVolumes());

      await expectCode(h.api.attachVolume(attached.blockDeviceId, h.thisNode), 'ALREADY_ATTACHED');
      await expectCode(h.api.detachVolume(unattached.blockDeviceId), 'UNATTACHED');
      await expectCode(h.api.getDevicePath(unattached.blockDeviceId), 'UNATTACHED');
      await expectCode(h.api.attachVolume(unknown, h.thisNode), 'UNKNOWN_VOLUME');
      await expectCode(h.api.destroyVolume(unknown), 'UNKNOWN_VOLUME');
      await expectCode(
        h.api.createVolume(randomUUID(), options.minimumAllocatableSize + 0.5),
        'INVALID_SIZE',
      );

      expect(sorted(await h.api.listVolumes())).toEqual(before);
      await h.expectBackendHolds(attached);
      await h.expectBackendHolds(unattached);
    });

    conformanceTest(
      "two APIs from the factory (two clusters) neither see nor touch each other's volumes",
      options,
      async (h) => {
        const other = await h.anotherApi();
        const mine = await h.createVolume();
        const theirs = await other.createVolume(randomUUID(), options.minimumAllocatableSize);
        await h.eventually(async () => {
          expect(await h.api.listVolumes()).toEqual([mine]);
          expect(await other.listVolumes()).toEqual([theirs]);
        });
        await expectCode(h.api.attachVolume(theirs.blockDeviceId, h.thisNode), 'UNKNOWN_VOLUME');
        await expectCode(h.api.destroyVolume(theirs.blockDeviceId), 'UNKNOWN_VOLUME');
        expect(await other.listVolumes()).toEqual([theirs]);
      },
    );
  });
}
