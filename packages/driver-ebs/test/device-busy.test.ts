import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CloudEmulator, startCloudEmulator } from '@flockerjs/cloud-emulator';
import { execCommand } from '@flockerjs/core-interface';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsEbsDriver, configSchema, GIB } from '../src/index.js';
import { emulatorConfig, instanceOf, skipUnlessRoot, TEST_TIMINGS } from './emulated-cloud.js';

// What needs a real device on this node: a volume mounted here must not be detached.
let emulator: CloudEmulator;
beforeAll(async () => {
  if (skipUnlessRoot() === undefined) emulator = await startCloudEmulator({ timings: TEST_TIMINGS });
});
afterAll(() => emulator?.stop());

describe.skipIf(skipUnlessRoot() !== undefined)(
  `detach of a busy device (${skipUnlessRoot() ?? 'as root'})`,
  () => {
    it('a volume mounted on this node is refused at once (VolumeBusy), before EC2 is asked, and stays attached', async () => {
      const config = configSchema.parse(emulatorConfig(emulator, instanceOf(emulator, 0)));
      const api = await AwsEbsDriver.open(config, { clusterId: randomUUID() });
      const volume = await api.createVolume(randomUUID(), GIB);
      await api.attachVolume(volume.blockDeviceId, await api.computeInstanceId());
      const device = await api.getDevicePath(volume.blockDeviceId);
      const mountPoint = await mkdtemp(join(tmpdir(), 'flockerjs-ebs-busy-'));
      await execCommand('mkfs.ext4', ['-q', '-F', '--', device]);
      await execCommand('mount', ['--', device, mountPoint]);
      try {
        const detaches = emulator.ec2.count('DetachVolume');
        await expect(api.detachVolume(volume.blockDeviceId)).rejects.toMatchObject({
          code: 'BACKEND',
          name: 'VolumeBusyError',
          device,
          message: expect.stringContaining('stays attached'),
        });
        expect(emulator.ec2.count('DetachVolume')).toBe(detaches);
        expect(emulator.fabric.volume(volume.blockDeviceId)?.attachment?.state).toBe('attached');
      } finally {
        await execCommand('umount', ['--', mountPoint]);
        await rm(mountPoint, { recursive: true, force: true });
      }
      await api.detachVolume(volume.blockDeviceId);
      await api.destroyVolume(volume.blockDeviceId);
    });
  },
);
