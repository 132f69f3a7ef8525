// pnpm bench: what the driver adds on top of the kernel work it asks for. Side by side in one run, since the
// machines are shared and noisy: raw `losetup --find` / `--detach` against attachVolume / detachVolume of the
// same sparse files, and listVolumes over 1,000 volumes. Writes bench-results.json next to this file.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LoopbackDriver } from '../dist/index.js';

const ROUNDS = 40;
const LISTED = 1000;
const MiB = 1024 * 1024;

if (process.getuid?.() !== 0) {
  console.error('bench: loop devices need root');
  process.exit(2);
}

const root = mkdtempSync(join(tmpdir(), 'flockerjs-bench-'));
const ms = (start) => Number(process.hrtime.bigint() - start) / 1e6;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

try {
  const api = await LoopbackDriver.open({
    root_path: join(root, 'driver'),
    compute_instance_id: 'bench',
    allocation_unit: MiB,
  });
  const node = await api.computeInstanceId();
  const volume = await api.createVolume(randomUUID(), 16 * MiB);
  const raw = join(root, 'raw.img');
  writeFileSync(raw, '');
  execFileSync('truncate', ['--size', String(16 * MiB), '--', raw]);

  const rawCycle = [];
  const driverCycle = [];
  // Interleaved, so both see the same machine load.
  for (let round = 0; round < ROUNDS; round += 1) {
    let start = process.hrtime.bigint();
    const device = execFileSync('losetup', ['--find', '--show', '--', raw], { encoding: 'utf8' }).trim();
    execFileSync('losetup', ['--detach', device]);
    rawCycle.push(ms(start));

    start = process.hrtime.bigint();
    await api.attachVolume(volume.blockDeviceId, node);
    await api.getDevicePath(volume.blockDeviceId);
    await api.detachVolume(volume.blockDeviceId);
    driverCycle.push(ms(start));
  }

  for (let i = 0; i < LISTED; i += 1) await api.createVolume(randomUUID(), MiB);
  const listTimes = [];
  for (let round = 0; round < 10; round += 1) {
    const start = process.hrtime.bigint();
    const listed = await api.listVolumes();
    listTimes.push(ms(start));
    if (listed.length !== LISTED + 1) throw new Error(`listed ${listed.length}, expected ${LISTED + 1}`);
  }

  const results = {
    rounds: ROUNDS,
    rawLosetupCycleMs: median(rawCycle),
    driverAttachPathDetachMs: median(driverCycle),
    // The driver lists loop devices to find and to verify a device (three more losetup runs per cycle).
    driverOverRawRatio: median(driverCycle) / median(rawCycle),
    listVolumesMsFor1001: median(listTimes),
  };
  console.log(JSON.stringify(results, null, 2));
  writeFileSync(new URL('./bench-results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
} finally {
  for (const line of execFileSync('losetup', ['--list', '--noheadings', '--output', 'NAME,BACK-FILE'], {
    encoding: 'utf8',
  }).split('\n')) {
    const [device, file] = line.trim().split(/\s+/);
    if (device && file?.startsWith(`${root}/`)) execFileSync('losetup', ['--detach', device]);
  }
  rmSync(root, { recursive: true, force: true });
}
