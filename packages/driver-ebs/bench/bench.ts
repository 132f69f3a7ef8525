// `pnpm bench`: the driver against the EC2 emulator with fixed transition times. Not part of `npm test`.
// (a) create and attach time over the emulated transition, measured side by side in one run;
// (b) DescribeVolumes calls for listVolumes with 10,000 volumes in the region, 1,000 of them the cluster's.
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startCloudEmulator, type Transition } from '@flockerjs/cloud-emulator';
import {
  AwsEbsDriver,
  CLUSTER_ID_TAG,
  configSchema,
  DATASET_ID_TAG,
  DESCRIBE_PAGE_SIZE,
  GIB,
} from '../src/index.js';
import { emulatorConfig } from '../test/emulated-cloud.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** Each emulated transition takes exactly this long (EC2's median creation is about 1.5 s). */
const TRANSITION_MS = 1_000;
/** Create/attach cycles measured. */
const SAMPLES = 6;
/** The target: the driver adds at most 5% of the transition plus 100 ms. */
const TARGET = { ratio: 0.05, plusMs: 100 } as const;
const REGION_VOLUMES = 10_000;
const CLUSTER_VOLUMES = 1_000;
const RESULTS = join(import.meta.dirname, '..', 'test-results', 'bench.json');

if (process.getuid?.() !== 0) {
  console.error('bench: needs root, since attaching makes real loop devices');
  process.exit(2);
}

const emulator = await startCloudEmulator({
  timings: { createMs: TRANSITION_MS, attachMs: TRANSITION_MS, detachMs: 100, deleteMs: 50 },
});
try {
  const instance = emulator.instances[0];
  if (instance === undefined) throw new Error('no instance');
  const api = await AwsEbsDriver.open(configSchema.parse(emulatorConfig(emulator, instance)), {
    clusterId: randomUUID(),
  });
  const node = await api.computeInstanceId();
  const seen = new Map<string, number>();
  emulator.fabric.onTransition((t: Transition) => seen.set(`${t.volumeId} ${t.to}`, t.atMs));

  const create: Sample[] = [];
  const attach: Sample[] = [];
  for (let i = 0; i < SAMPLES; i += 1) {
    let started = Date.now();
    const volume = await api.createVolume(randomUUID(), GIB);
    let ended = Date.now();
    const held = emulator.fabric.volume(volume.blockDeviceId);
    // The emulated transition, as the fabric lived it: from the request taking effect to the state change.
    create.push(
      sample(
        ended - started,
        (seen.get(`${volume.blockDeviceId} available`) ?? 0) - (held?.createTime.getTime() ?? 0),
      ),
    );
    started = Date.now();
    await api.attachVolume(volume.blockDeviceId, node);
    ended = Date.now();
    const attachedAt = emulator.fabric.volume(volume.blockDeviceId)?.attachment?.attachTime.getTime() ?? 0;
    attach.push(sample(ended - started, (seen.get(`${volume.blockDeviceId} attached`) ?? 0) - attachedAt));
    await api.detachVolume(volume.blockDeviceId);
    await api.destroyVolume(volume.blockDeviceId);
  }

  // (b) The region's volumes are seeded in the fabric directly; only the listing goes through EC2.
  const clusterId = randomUUID();
  for (let i = 0; i < REGION_VOLUMES; i += 1) {
    const ours = i % (REGION_VOLUMES / CLUSTER_VOLUMES) === 0;
    const tags: [string, string][] = ours
      ? [
          [CLUSTER_ID_TAG, clusterId],
          [DATASET_ID_TAG, randomUUID()],
        ]
      : [[CLUSTER_ID_TAG, randomUUID()]];
    emulator.fabric.createVolume({ zone: instance.zone, sizeGiB: 1, volumeType: 'gp3', tags });
  }
  const lister = await AwsEbsDriver.open(configSchema.parse(emulatorConfig(emulator, instance)), {
    clusterId,
  });
  const before = emulator.ec2.count('DescribeVolumes');
  const listStarted = Date.now();
  const listed = await lister.listVolumes();
  const listMs = Date.now() - listStarted;
  const calls = emulator.ec2.count('DescribeVolumes') - before;
  const minimumPages = Math.ceil(CLUSTER_VOLUMES / DESCRIBE_PAGE_SIZE.max);

  const results = {
    transitionMs: TRANSITION_MS,
    target: `overhead < ${TARGET.ratio * 100}% of the transition + ${TARGET.plusMs} ms`,
    create: summary(create),
    attach: summary(attach),
    listVolumes: {
      regionVolumes: REGION_VOLUMES,
      clusterVolumes: CLUSTER_VOLUMES,
      listed: listed.length,
      describeVolumesCalls: calls,
      minimumPages,
      listMs,
    },
  };
  for (const [name, result] of [
    ['createVolume', results.create],
    ['attachVolume', results.attach],
  ] as const) {
    console.log(
      `${name}: driver/transition ${result.meanRatio.toFixed(3)} (max ${result.maxRatio.toFixed(3)}), overhead mean ${result.meanOverheadMs.toFixed(0)} ms, max ${result.maxOverheadMs.toFixed(0)} ms, allowed ${result.allowedOverheadMs.toFixed(0)} ms: ${result.meetsTarget ? 'meets' : 'MISSES'} the target`,
    );
  }
  console.log(
    `listVolumes: ${listed.length} of ${REGION_VOLUMES} volumes in ${calls} DescribeVolumes calls (minimum ${minimumPages}) in ${listMs} ms: ${calls === minimumPages && listed.length === CLUSTER_VOLUMES ? 'meets' : 'MISSES'} the target`,
  );
  await mkdir(join(RESULTS, '..'), { recursive: true });
  await writeFile(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`written to ${RESULTS}`);
} finally {
  await emulator.stop();
}

interface Sample {
  readonly driverMs: number;
  readonly transitionMs: number;
}

function sample(driverMs: number, transitionMs: number): Sample {
  return { driverMs, transitionMs };
}

function summary(samples: readonly Sample[]) {
  const ratios = samples.map((s) => s.driverMs / s.transitionMs);
  const overheads = samples.map((s) => s.driverMs - s.transitionMs);
  const meanTransition = samples.reduce((sum, s) => sum + s.transitionMs, 0) / samples.length;
  const allowedOverheadMs = TARGET.ratio * meanTransition + TARGET.plusMs;
  const meanOverheadMs = overheads.reduce((a, b) => a + b, 0) / overheads.length;
  return {
    samples,
    meanRatio: ratios.reduce((a, b) => a + b, 0) / ratios.length,
    maxRatio: Math.max(...ratios),
    meanOverheadMs,
    maxOverheadMs: Math.max(...overheads),
    allowedOverheadMs,
    meetsTarget: meanOverheadMs < allowedOverheadMs,
  };
}
