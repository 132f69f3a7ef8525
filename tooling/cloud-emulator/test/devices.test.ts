import { execFile } from 'node:child_process';
import { access, mkdtemp, readlink, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  AttachVolumeCommand,
  CreateVolumeCommand,
  DescribeVolumesCommand,
  DetachVolumeCommand,
} from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { type CloudEmulator, nvmeByIdName, STATE_DIR_PREFIX, startCloudEmulator } from '../src/index.js';
import { ec2Client, isRoot } from './sdk.js';

const exec = promisify(execFile);

async function attached(emulator: CloudEmulator, instanceIndex: number, device: string): Promise<string> {
  const ec2 = ec2Client(emulator);
  const { VolumeId = '' } = await ec2.send(
    new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 1 }),
  );
  await waitState(emulator, VolumeId, 'available');
  await ec2.send(
    new AttachVolumeCommand({ VolumeId, InstanceId: emulator.instances[instanceIndex]?.id, Device: device }),
  );
  await waitState(emulator, VolumeId, 'attached');
  return VolumeId;
}

/** Waits until the volume (or its attachment) is in `state`, bounded for a loaded machine. */
async function waitState(emulator: CloudEmulator, VolumeId: string, state: string): Promise<void> {
  const ec2 = ec2Client(emulator);
  await expect
    .poll(
      async () => {
        const volume = (await ec2.send(new DescribeVolumesCommand({ VolumeIds: [VolumeId] }))).Volumes?.[0];
        return [volume?.State, volume?.Attachments?.[0]?.State];
      },
      { timeout: 20_000, interval: 10 },
    )
    .toContain(state);
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

describe.skipIf(!isRoot)('device directories, with real loop devices', () => {
  it('Nitro: an nvme namespace and its by-id link appear on attach, hold the data, and disappear on detach', async () => {
    const emulator = await startCloudEmulator({
      timings: { createMs: 20, attachMs: 20, detachMs: 20, deleteMs: 20 },
    });
    try {
      const root = emulator.instances[0]?.deviceRoot ?? '';
      const first = await attached(emulator, 0, '/dev/sdf');
      const second = await attached(emulator, 0, '/dev/sdg');
      const link = join(root, 'disk', 'by-id', nvmeByIdName(first));
      expect(await readlink(link)).toBe('../../nvme1n1');
      expect(await readlink(join(root, 'disk', 'by-id', nvmeByIdName(second)))).toBe('../../nvme2n1');
      expect((await stat(link)).isBlockDevice()).toBe(true);
      const { stdout } = await exec('lsblk', [
        '--noheadings',
        '--bytes',
        '--nodeps',
        '--output',
        'SIZE',
        '--',
        join(root, 'nvme1n1'),
      ]);
      expect(Number(stdout.trim())).toBe(1024 ** 3);
      // The requested name means nothing on Nitro: no sdf or xvdf node.
      expect(await exists(join(root, 'sdf'))).toBe(false);
      expect(await exists(join(root, 'xvdf'))).toBe(false);

      await ec2Client(emulator).send(new DetachVolumeCommand({ VolumeId: first }));
      await waitState(emulator, first, 'available');
      expect(await exists(link)).toBe(false);
      expect(await exists(join(root, 'nvme1n1'))).toBe(false);
      // The lowest free namespace number is reused, as the kernel does.
      const third = await attached(emulator, 0, '/dev/sdh');
      expect(await readlink(join(root, 'disk', 'by-id', nvmeByIdName(third)))).toBe('../../nvme1n1');
    } finally {
      const stateDir = emulator.fabric.stateDir;
      await emulator.stop();
      expect(await exists(stateDir)).toBe(false);
      const { stdout } = await exec('losetup', ['--list', '--noheadings', '--output', 'BACK-FILE']);
      expect(stdout).not.toContain(stateDir);
    }
  });

  it('Xen: /dev/sdf shows up as xvdf and /dev/xvdba as xvdba; stop detaches attached volumes', async () => {
    const emulator = await startCloudEmulator({
      instances: [{ deviceMode: 'xen' }],
      timings: { createMs: 20, attachMs: 20, detachMs: 20, deleteMs: 20 },
    });
    const stateDir = emulator.fabric.stateDir;
    try {
      const root = emulator.instances[0]?.deviceRoot ?? '';
      await attached(emulator, 0, '/dev/sdf');
      await attached(emulator, 0, '/dev/xvdba');
      expect((await stat(join(root, 'xvdf'))).isBlockDevice()).toBe(true);
      expect((await stat(join(root, 'xvdba'))).isBlockDevice()).toBe(true);
      expect(await exists(join(root, 'disk', 'by-id', 'x'))).toBe(false);
      const { stdout } = await exec('losetup', ['--list', '--noheadings', '--output', 'BACK-FILE']);
      expect(stdout.split('\n').filter((line) => line.startsWith(stateDir))).toHaveLength(2);
    } finally {
      await emulator.stop();
    }
    const { stdout } = await exec('losetup', ['--list', '--noheadings', '--output', 'BACK-FILE']);
    expect(stdout).not.toContain(stateDir);
    expect(await exists(stateDir)).toBe(false);
  });

  it('a start sweeps state left by a run that was killed: its directory and its loop devices', async () => {
    const dead = await new Promise<number>((resolve) => {
      const child = execFile('true');
      child.on('exit', () => resolve(child.pid ?? 0));
    });
    const abandoned = await mkdtemp(join(tmpdir(), STATE_DIR_PREFIX));
    await writeFile(join(abandoned, 'vol.img'), '');
    await truncate(join(abandoned, 'vol.img'), 1024 * 1024);
    await exec('losetup', ['--find', '--show', '--', join(abandoned, 'vol.img')]);
    // The dead owner last: an emulator starting meanwhile in another test file may sweep the directory, but
    // only once it is whole, device included, as a killed run leaves it.
    await writeFile(join(abandoned, 'owner.pid'), `${dead}\n`);
    const emulator = await startCloudEmulator();
    await emulator.stop();
    expect(await exists(abandoned)).toBe(false);
    // An emulator starting in another test file may be the one sweeping it, still detaching: the device
    // must go, and a loaded machine gets a bounded while for it.
    await expect
      .poll(async () => (await exec('losetup', ['--list', '--noheadings', '--output', 'BACK-FILE'])).stdout, {
        timeout: 20_000,
        interval: 100,
      })
      .not.toContain(abandoned);
  });
});
