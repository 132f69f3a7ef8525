import { isBlockDevice } from '@flockerjs/linux-block';
import { describe, expect } from 'vitest';
import { expectCode } from './expect-code.js';
import { conformanceTest } from './harness.js';
import type { ResolvedOptions } from './options.js';
import { otherNode } from './other-node.js';

/** getDevicePath(): the one answer that loses data when wrong. */
export function devicePathTests(options: ResolvedOptions): void {
  describe('getDevicePath', () => {
    conformanceTest('getDevicePath(unknown id) rejects with UNKNOWN_VOLUME', options, async ({ api }) => {
      const blockDeviceId = options.unknownBlockDeviceId();
      await expectCode(api.getDevicePath(blockDeviceId), 'UNKNOWN_VOLUME', { blockDeviceId });
    });

    conformanceTest('getDevicePath(unattached volume) rejects with UNATTACHED', options, async (h) => {
      const volume = await h.createVolume();
      await expectCode(h.api.getDevicePath(volume.blockDeviceId), 'UNATTACHED', {
        blockDeviceId: volume.blockDeviceId,
      });
    });

    conformanceTest(
      'getDevicePath(volume attached to another node) rejects with UNATTACHED',
      options,
      async (h, context) => {
        const node = await otherNode(options, h.thisNode, context);
        const volume = await h.createVolume();
        await h.api.attachVolume(volume.blockDeviceId, node);
        // Another node's device path would be a path on this host too, and writing to it would lose data.
        await expectCode(h.api.getDevicePath(volume.blockDeviceId), 'UNATTACHED', {
          blockDeviceId: volume.blockDeviceId,
        });
      },
    );

    conformanceTest('getDevicePath(attached volume) returns a block device', options, async (h) => {
      const volume = await h.createAttachedVolume();
      const device = await h.api.getDevicePath(volume.blockDeviceId);
      expect(await isBlockDevice(device), `not a block device: ${device}`).toBe(true);
    });

    conformanceTest('getDevicePath() gives each attached volume a device of its own', options, async (h) => {
      const first = await h.createAttachedVolume();
      const second = await h.createAttachedVolume();
      const devices = await Promise.all(
        [first, second].map((volume) => h.api.getDevicePath(volume.blockDeviceId)),
      );
      expect(devices[0]).not.toBe(devices[1]);
    });

    conformanceTest('getDevicePath() returns the same path on every call', options, async (h) => {
      const volume = await h.createAttachedVolume();
      const first = await h.api.getDevicePath(volume.blockDeviceId);
      expect(await h.api.getDevicePath(volume.blockDeviceId)).toBe(first);
    });
  });
}
