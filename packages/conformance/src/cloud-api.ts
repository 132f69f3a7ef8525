import { type ICloudAPI, isCloudApi } from '@flockerjs/core-interface';
import { describe, expect, type TestContext } from 'vitest';
import { cleanupStack, conformanceTest, type Harness } from './harness.js';
import type { ResolvedOptions } from './options.js';
import { otherNode } from './other-node.js';

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

    conformanceTest('listLiveNodes() leaves out a stopped node', options, async (h, context) => {
      const { api, node } = await stoppedNode(h, context);
      await h.eventually(async () => {
        const live = await api.listLiveNodes();
        expect({ stopped: live.includes(node), here: live.includes(h.thisNode) }).toEqual({
          stopped: false,
          here: true,
        });
      });
    });

    conformanceTest(
      'startNode() starts a stopped node: listLiveNodes() includes it again',
      options,
      async (h, context) => {
        const { api, node } = await stoppedNode(h, context);
        const { startNode } = api;
        if (!api.capabilities.startNode || startNode === undefined) {
          return context.skip('the driver does not declare capabilities.startNode');
        }
        await h.eventually(async () => expect(await api.listLiveNodes()).not.toContain(node));
        await startNode.call(api, node);
        await h.eventually(async () => expect(await api.listLiveNodes()).toContain(node));
      },
    );
  });

  /** The other node, stopped through the back door and started again through it after the test. */
  async function stoppedNode(h: Harness, context: TestContext): Promise<{ api: ICloudAPI; node: string }> {
    const { api } = h;
    if (!isCloudApi(api)) return context.skip('the driver does not declare capabilities.cloudApi');
    if (options.stopNode === undefined) return context.skip('no stopNode back door to stop a node with');
    const node = await otherNode(options, h.thisNode, context);
    // On the test's cleanup stack, so the node is started again before its volumes are cleaned up.
    cleanupStack(context)(await options.stopNode(node));
    return { api, node };
  }
}
