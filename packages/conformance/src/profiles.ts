import { randomUUID } from 'node:crypto';
import { type BlockDeviceVolume, isProfiled, MANDATORY_PROFILES } from '@flockerjs/core-interface';
import { describe, expect } from 'vitest';
import { conformanceTest } from './harness.js';
import type { ResolvedOptions } from './options.js';

/** IProfiledBlockDeviceAPI, run when the driver declares `capabilities.profiles`. */
export function profileTests(options: ResolvedOptions): void {
  describe('profiles', () => {
    conformanceTest(
      'createVolumeWithProfile() creates a volume for every mandatory profile',
      options,
      async (h, context) => {
        const { api } = h;
        if (!isProfiled(api)) return context.skip('the driver does not declare capabilities.profiles');
        const created: BlockDeviceVolume[] = [];
        for (const profile of MANDATORY_PROFILES) {
          const datasetId = randomUUID();
          const volume = await api.createVolumeWithProfile(
            datasetId,
            options.minimumAllocatableSize,
            profile,
          );
          expect(volume, profile).toMatchObject({
            datasetId,
            size: options.minimumAllocatableSize,
            attachedTo: null,
          });
          created.push(volume);
        }
        await h.eventually(async () =>
          expect(await api.listVolumes()).toEqual(expect.arrayContaining(created)),
        );
      },
    );

    conformanceTest(
      'createVolumeWithProfile() reaches the backend: it holds each volume under its profile',
      options,
      async (h, context) => {
        const { api } = h;
        const { inspect } = options;
        if (!isProfiled(api)) return context.skip('the driver does not declare capabilities.profiles');
        if (inspect === undefined) return context.skip('no inspect back door to read the profile with');
        for (const profile of MANDATORY_PROFILES) {
          const volume = await api.createVolumeWithProfile(
            randomUUID(),
            options.minimumAllocatableSize,
            profile,
          );
          await h.eventually(async () =>
            expect(await inspect(volume.blockDeviceId), profile).toEqual(
              expect.objectContaining({ profile }),
            ),
          );
        }
      },
    );
  });
}
