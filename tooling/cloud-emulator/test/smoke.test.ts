import { EC2Client, CreateVolumeCommand, DescribeVolumesCommand, AttachVolumeCommand } from '@aws-sdk/client-ec2';
import { it, expect } from 'vitest';
import { startCloudEmulator } from '../src/index.js';
import { readdir } from 'node:fs/promises';

it('smoke', async () => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const emu = await startCloudEmulator({ timings: { createMs: 50, attachMs: 50 } });
  try {
    const ec2 = new EC2Client({ region: 'us-east-1', endpoint: emu.url, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    const created = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 1, TagSpecifications: [{ ResourceType: 'volume', Tags: [{ Key: 'k', Value: 'v' }] }] }));
    console.log(created);
    await new Promise((r) => setTimeout(r, 100));
    const d = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'tag:k', Values: ['v'] }] }));
    console.log(JSON.stringify(d.Volumes));
    const a = await ec2.send(new AttachVolumeCommand({ VolumeId: created.VolumeId, InstanceId: emu.instances[0]!.id, Device: '/dev/sdf' }));
    console.log(a);
    await new Promise((r) => setTimeout(r, 200));
    console.log(await readdir(emu.instances[0]!.deviceRoot, { recursive: true }));
    const e = await ec2.send(new DescribeVolumesCommand({ VolumeIds: ['vol-00000000000000000'] })).catch((x) => x);
    console.log(e.name, e.$metadata, e.message);
  } finally {
    await emu.stop();
  }
});
