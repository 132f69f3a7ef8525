import { BLOCK_DEVICE_API_METHODS, capabilityProblems } from '@flockerjs/core-interface';
import { describe, expect } from 'vitest';
import { conformanceTest } from './harness.js';
import type { ResolvedOptions } from './options.js';

/** The shape of the API and the node identity it reports. */
export function interfaceTests(options: ResolvedOptions): void {
  describe('interface', () => {
    conformanceTest(
      'implements every IBlockDeviceAPI member and declares its capabilities',
      options,
      async ({ api }) => {
        for (const method of BLOCK_DEVICE_API_METHODS) expect(api[method], method).toBeTypeOf('function');
        // The loader's own check: missing and unknown keys by name, non-booleans, declarations without their member.
        expect(capabilityProblems(api), 'problems with capabilities').toEqual([]);
      },
    );

    conformanceTest('computeInstanceId() returns a string', options, async ({ thisNode }) => {
      expect(thisNode).toBeTypeOf('string');
    });

    conformanceTest(
      'computeInstanceId() returns a non-empty id, the same on every call',
      options,
      async (h) => {
        expect(h.thisNode).not.toBe('');
        expect(await h.api.computeInstanceId()).toBe(h.thisNode);
      },
    );

    conformanceTest(
      'allocationUnit() is a whole number of bytes that divides the minimum allocatable size',
      options,
      async ({ api }) => {
        const unit = await api.allocationUnit();
        expect(Number.isSafeInteger(unit) && unit > 0, `allocation unit ${unit}`).toBe(true);
        expect(options.minimumAllocatableSize % unit, 'minimumAllocatableSize % allocationUnit()').toBe(0);
      },
    );

    conformanceTest(
      'allocationUnit() stays the same while the API creates, attaches, detaches and destroys volumes',
      options,
      async (h) => {
        const units = [await h.api.allocationUnit()];
        const volume = await h.createAttachedVolume();
        units.push(await h.api.allocationUnit());
        await h.api.detachVolume(volume.blockDeviceId);
        await h.api.destroyVolume(volume.blockDeviceId);
        units.push(await h.api.allocationUnit());
        expect(units).toEqual([units[0], units[0], units[0]]);
      },
    );
  });
}
