import { expect, type TestContext } from 'vitest';
import type { ResolvedOptions } from './options.js';

/**
 * The other node the options name, checked to be another node; reports the test skipped when there is none,
 * since a backend may refuse attachments to ids it does not know.
 */
export async function otherNode(
  options: ResolvedOptions,
  thisNode: string,
  context: TestContext,
): Promise<string> {
  if (options.otherNodeId === undefined) {
    context.skip('no otherNodeId option: the suite knows no other node to attach volumes to');
  }
  const node = await options.otherNodeId();
  expect(node, 'otherNodeId() names this node').not.toBe(thisNode);
  return node;
}
