import { describe } from 'vitest';
import { attachTests } from './attach.js';
import { cloudApiTests } from './cloud-api.js';
import { createTests } from './create.js';
import { dataTests } from './data.js';
import { destroyTests } from './destroy.js';
import { detachTests } from './detach.js';
import { devicePathTests } from './device-path.js';
import { interfaceTests } from './interface.js';
import { listTests } from './list.js';
import { type ConformanceOptions, resolveOptions } from './options.js';
import { profileTests } from './profiles.js';
import { resizeTests } from './resize.js';

/**
 * Registers the whole conformance suite for one driver in the calling vitest file: the original 27 cases,
 * the checks added since, and the profile, cloud and resize suites where the driver declares them.
 */
export function describeBlockDeviceAPI(options: ConformanceOptions): void {
  const resolved = resolveOptions(options);
  describe(`${resolved.name}: IBlockDeviceAPI conformance`, () => {
    interfaceTests(resolved);
    listTests(resolved);
    createTests(resolved);
    attachTests(resolved);
    detachTests(resolved);
    destroyTests(resolved);
    devicePathTests(resolved);
    dataTests(resolved);
    profileTests(resolved);
    cloudApiTests(resolved);
    resizeTests(resolved);
  });
}
