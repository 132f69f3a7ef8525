import { isCloudApi } from '@flockerjs/core-interface';
import { describe, expect } from 'vitest';
import { conformanceTest } from './harness.js';
import type { ResolvedOptions } from './options.js';

/** ICloudAPI, run when the driver declares `capabilities.cloudApi`. */
export function cloudApiTests(options: ResolvedOptions): void {
  describe('cloud API', () => {
    conformanceTest('listLiveNodes() includes this node', options, async ({ api, thisNode }, context) => {
      if (!isCloudApi(api)) return context.skip('the driver does not declare capabilities.cloudApi');
      expect(await api.listLiveNodes()).toContain(thisNode);
    });

    conformanceTest('listLiveNodes() returns non-empty string ids', options, async ({ api }, context) => {
      if (!isCloudApi(api)) return context.skip('the driver does not declare capabilities.cloudApi');
      for (const node of await api.listLiveNodes()) expect(node).toEqual(expect.stringMatching(/./));
    });
  });
}
