// pnpm bench: the driver's overhead over the cloud's own transition time, and requests per listVolumes().
// Runs against the emulator (real loop devices: needs root); not part of npm test.
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { cinderAsDemo, openstackDatasetKeys, startOpenStackEmulator } from '@flockerjs/cloud-emulator';
import { CinderDriver, CLUSTER_ID_LABEL, configSchema, DATASET_ID_LABEL, GIB } from '../src/index.js';

const TRANSITION_MS = 200;
const ROUNDS = 5;
const TOTAL_VOLUMES = 5000;
const CLUSTER_VOLUMES = 500;

const emulator = await startOpenStackEmulator({
  timings: { createMs: TRANSITION_MS, attachMs: TRANSITION_MS, detachMs: TRANSITION_MS, deleteMs: 20 },
});
try {
  const server = emulator.servers[0];
  if (server === undefined) throw new Error('the emulator started no server');
  const clusterId = randomUUID();
  const api = await CinderDriver.open(configSchema.parse(openstackDatasetKeys(emulator, server)), {
    clusterId,
  });
  const node = await api.computeInstanceId();
  const create: number[] = [];
  const attach: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    let started = performance.now();
    const volume = await api.createVolume(randomUUID(), GIB);
    create.push(performance.now() - started);
    started = performance.now();
    await api.attachVolume(volume.blockDeviceId, node);
    attach.push(performance.now() - started);
    await api.detachVolume(volume.blockDeviceId);
    await api.destroyVolume(volume.blockDeviceId);
  }
  const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

  // 5,000 volumes, 500 of them this cluster's, made straight through Cinder's API.
  const cinder = await cinderAsDemo(emulator);
  for (let index = 0; index < TOTAL_VOLUMES; index += 100) {
    await Promise.all(
      Array.from({ length: 100 }, (_, offset) =>
        cinder('POST', '/volumes', {
          volume: {
            size: 1,
            metadata: {
              [CLUSTER_ID_LABEL]: (index + offset) % 10 === 0 ? clusterId : randomUUID(),
              [DATASET_ID_LABEL]: randomUUID(),
            },
          },
        }),
      ),
    );
  }
  const before = emulator.count('cinder:ListVolumes');
  const started = performance.now();
  const listed = await api.listVolumes();
  const listMs = performance.now() - started;
  const requests = emulator.count('cinder:ListVolumes') - before;
  if (listed.length !== CLUSTER_VOLUMES)
    throw new Error(`listed ${listed.length}, expected ${CLUSTER_VOLUMES}`);

  const result = {
    transitionMs: TRANSITION_MS,
    rounds: ROUNDS,
    createMeanMs: Math.round(mean(create)),
    createOverheadRatio: Number((mean(create) / TRANSITION_MS).toFixed(2)),
    attachMeanMs: Math.round(mean(attach)),
    attachOverheadRatio: Number((mean(attach) / TRANSITION_MS).toFixed(2)),
    listVolumes: {
      totalVolumes: TOTAL_VOLUMES,
      clusterVolumes: listed.length,
      requests,
      ms: Math.round(listMs),
    },
  };
  console.log(JSON.stringify(result, null, 2));
  await writeFile('bench/bench-results.json', `${JSON.stringify(result, null, 2)}\n`);
  console.log('written to bench/bench-results.json');
} finally {
  await emulator.stop();
}
