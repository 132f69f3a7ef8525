// The run log: a test's cleanup calls (detach and destroy of what it left) are entries under that test's action,
// not tasks of their own, so `flocker-certify logs` shows them with the test that caused them.
import {
  blockDeviceVolume,
  createLogger,
  type IBlockDeviceAPI,
  instrumentApi,
  type LogEntry,
} from '@flockerjs/core-interface';
import { describe, expect, it } from 'vitest';
import { buildLogTree, renderLogTree } from '../src/cli/log-tree.js';
import { conformanceTest } from '../src/harness.js';
import { resolveOptions } from '../src/options.js';

const entries: LogEntry[] = [];
let now = 0;
const logger = createLogger({ sink: (entry) => entries.push(entry), now: () => (now += 1) });

/** A driver of one volume that a test creates and leaves behind, for the cleanup to destroy. */
function leakyApi(): IBlockDeviceAPI {
  const volumes = new Map<string, ReturnType<typeof blockDeviceVolume>>();
  const api: IBlockDeviceAPI = {
    capabilities: { profiles: false, cloudApi: false, startNode: false, resize: false },
    allocationUnit: async () => 1,
    computeInstanceId: async () => 'node-a',
    async createVolume(datasetId, size) {
      const volume = blockDeviceVolume({
        blockDeviceId: `vol-${volumes.size}`,
        size,
        attachedTo: null,
        datasetId,
      });
      volumes.set(volume.blockDeviceId, volume);
      return volume;
    },
    async destroyVolume(id) {
      volumes.delete(id);
    },
    attachVolume: async () => {
      throw new Error('not used');
    },
    detachVolume: async () => undefined,
    listVolumes: async () => [...volumes.values()],
    getDevicePath: async () => '/dev/null',
  };
  return instrumentApi(api, logger, 'leaky');
}

const options = resolveOptions({ name: 'leaky', factory: leakyApi, minimumAllocatableSize: 1024, logger });

describe('a conformance test that leaves a volume behind', () => {
  conformanceTest('creates a volume and leaves it', options, async (h) => {
    await h.createVolume();
  });
});

describe('the run log', () => {
  it('has the cleanup calls under the test that made them, not as tasks of their own', () => {
    const tree = renderLogTree(buildLogTree(entries));
    const roots = tree.split('\n').filter((line) => /^[a-z]/.test(line));
    expect(roots.map((line) => line.split('  ')[0])).toEqual(['conformance:test']);
    expect(tree).toMatch(/^[│ ]*[├└]── leaky:destroyVolume/m);
    expect(tree).toMatch(/^[│ ]*[├└]── leaky:createVolume/m);
  });
});
