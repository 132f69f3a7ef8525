// The module the certify command runs in vitest: the suites, on the backend its agent.yml names.
import { createWriteStream } from 'node:fs';
import { createLogger, type IBlockDeviceAPI, jsonLinesSink, secretValues } from '@flockerjs/core-interface';
import { afterEach, inject } from 'vitest';
import { describeAcceptance } from '../acceptance.js';
import { describeCluster } from '../cluster.js';
import { clusterSuiteUnavailable } from '../local-cluster.js';
import { describeBlockDeviceAPI } from '../describe-block-device-api.js';
import { DEFAULT_MINIMUM_ALLOCATABLE_SIZE } from '../options.js';
import { callLog } from './call-log.js';
import { CAPABILITIES_META } from './settings.js';
import { isolatedEntry, type ManifestEntry, recordInManifest, targetFromData } from './target.js';

const settings = inject('flockerjs:certify');
const target = await targetFromData(settings.target);
const { backend, config } = target.agent;
const logger = createLogger({
  sink: jsonLinesSink(createWriteStream(settings.logFile, { flags: 'a' })),
  secrets: secretValues(config.dataset),
});
const metrics = callLog(settings.callsFile);
let capabilities: Readonly<Record<string, boolean>> | undefined;

/** Opens an API for the run, recorded first so the sweep after the run finds it whatever happens. */
async function openRecorded(entry: ManifestEntry): Promise<IBlockDeviceAPI> {
  await recordInManifest(settings.manifestFile, entry);
  const api = await target.open(entry, logger, metrics);
  capabilities ??= { ...api.capabilities };
  return api;
}

// The command learns the backend's capabilities from the tests' results, as vitest reports them.
afterEach(({ task }) => {
  if (capabilities !== undefined) task.meta[CAPABILITIES_META] = capabilities;
});

const runs = (suite: NonNullable<typeof settings.only>): boolean => settings.only === undefined || settings.only === suite;
const oneNodeOnly = `backend ${backend.name} describes no second node (certification.node), and no --peer-config names node B's agent.yml`;

if (runs('conformance')) {
  describeBlockDeviceAPI({
    backend,
    factory: async () => openRecorded(await isolatedEntry(target, settings.scratchDir)),
    logger,
  });
}

if (runs('acceptance')) {
  describeAcceptance({
    name: backend.name,
    cluster: async () => {
      // One storage for both nodes: the run's cluster id, or one isolated backend shared by the two.
      const shared = backend.needsClusterId
        ? { clusterId: settings.clusterId }
        : await isolatedEntry(target, settings.scratchDir);
      return {
        openNode: (node) => openRecorded({ ...shared, node }),
      };
    },
    minimumAllocatableSize: target.hints.minimumAllocatableSize ?? DEFAULT_MINIMUM_ALLOCATABLE_SIZE,
    logger,
    skip: target.hasTwoNodes ? undefined : oneNodeOnly,
  });
}

if (runs('cluster')) {
  describeCluster({
    name: backend.name,
    nodes: (scratch) => target.nodeDatasets(scratch),
    minimumAllocatableSize: target.hints.minimumAllocatableSize ?? DEFAULT_MINIMUM_ALLOCATABLE_SIZE,
    logger,
    skip: target.hasTwoNodes ? clusterSuiteUnavailable() : oneNodeOnly,
  });
}
