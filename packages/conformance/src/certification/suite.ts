// The module the certify command runs in vitest: the suites, on the backend its agent.yml names.
import { createWriteStream } from 'node:fs';
import { createLogger, type IBlockDeviceAPI, jsonLinesSink, secretValues } from '@flockerjs/core-interface';
import { inject } from 'vitest';
import { describeAcceptance } from '../acceptance.js';
import { describeBlockDeviceAPI } from '../describe-block-device-api.js';
import type { ManifestEntry } from './settings.js';
import { isolatedEntry, openTarget, recordInManifest } from './target.js';

const settings = inject('flockerjs:certify');
const target = await openTarget(settings.configPath, settings.resolveFrom, settings.peerConfigPath);
const logger = createLogger({
  sink: jsonLinesSink(createWriteStream(settings.logFile, { flags: 'a' })),
  secrets: secretValues(target.config.dataset),
});
const { hints } = target;
const name = target.backend.name;
const minimumAllocatableSize = hints.minimumAllocatableSize ?? 1024 ** 3;
let capabilitiesRecorded = false;

/** Opens an API for the run, recorded first so the sweep after the run finds it whatever happens. */
async function openRecorded(entry: ManifestEntry): Promise<IBlockDeviceAPI> {
  await recordInManifest(settings.manifestFile, entry);
  const api = await target.open(entry, logger);
  if (!capabilitiesRecorded) {
    capabilitiesRecorded = true;
    await recordInManifest(settings.manifestFile, { ...entry, capabilities: { ...api.capabilities } });
  }
  return api;
}

if (settings.only !== 'acceptance') {
  describeBlockDeviceAPI({
    name,
    factory: async () => openRecorded(await isolatedEntry(target, settings.scratchDir)),
    minimumAllocatableSize,
    ...(hints.deviceAllocationUnit === undefined ? {} : { deviceAllocationUnit: hints.deviceAllocationUnit }),
    unknownBlockDeviceId: hints.unknownBlockDeviceId ?? (() => crypto.randomUUID()),
    ...(hints.consistency === undefined ? {} : { consistency: hints.consistency }),
    logger,
  });
}

if (settings.only !== 'conformance') {
  describeAcceptance({
    name,
    cluster: async () => {
      // One storage for both nodes: the run's cluster id, or one isolated backend shared by the two.
      const shared = target.backend.needsClusterId
        ? { clusterId: settings.clusterId }
        : await isolatedEntry(target, settings.scratchDir);
      return {
        openNode: (node) => openRecorded({ ...shared, node }),
      };
    },
    minimumAllocatableSize,
    logger,
    skip: target.hasTwoNodes
      ? undefined
      : `backend ${name} describes no second node (certification.node), and no --peer-config names node B's agent.yml`,
  });
}
