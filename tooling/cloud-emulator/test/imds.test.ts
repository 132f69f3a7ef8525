import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CloudEmulator, startCloudEmulator } from '../src/index.js';

let emulator: CloudEmulator;
beforeAll(async () => {
  emulator = await startCloudEmulator({ instances: [{ zone: 'us-east-1a' }, { zone: 'us-east-1b' }] });
});
afterAll(() => emulator.stop());

async function token(url: string, ttl = '60'): Promise<Response> {
  return fetch(`${url}/latest/api/token`, {
    method: 'PUT',
    headers: { 'x-aws-ec2-metadata-token-ttl-seconds': ttl },
  });
}

describe('IMDSv2, one per emulated instance', () => {
  it('answers instance id and zone with a session token, each instance its own', async () => {
    for (const instance of emulator.instances) {
      const session = await (await token(instance.imdsUrl)).text();
      const get = async (path: string) =>
        (
          await fetch(`${instance.imdsUrl}/latest/meta-data/${path}`, {
            headers: { 'x-aws-ec2-metadata-token': session },
          })
        ).text();
      expect(await get('instance-id')).toBe(instance.id);
      expect(await get('placement/availability-zone')).toBe(instance.zone);
      expect(await get('placement/region')).toBe('us-east-1');
      expect(await get('block-device-mapping/')).toBe('ami\nroot');
    }
  });

  it('refuses metadata without a valid token (401), and token requests without a TTL (400) or via a proxy (403)', async () => {
    const url = emulator.instances[0]?.imdsUrl ?? '';
    expect((await fetch(`${url}/latest/meta-data/instance-id`)).status).toBe(401);
    expect(
      (
        await fetch(`${url}/latest/meta-data/instance-id`, {
          headers: { 'x-aws-ec2-metadata-token': 'forged' },
        })
      ).status,
    ).toBe(401);
    expect((await fetch(`${url}/latest/api/token`, { method: 'PUT' })).status).toBe(400);
    expect((await token(url, '21601')).status).toBe(400);
    const proxied = await fetch(`${url}/latest/api/token`, {
      method: 'PUT',
      headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60', 'x-forwarded-for': '10.0.0.1' },
    });
    expect(proxied.status).toBe(403);
  });

  it('a token expires after its TTL', async () => {
    const url = emulator.instances[0]?.imdsUrl ?? '';
    const session = await (await token(url, '1')).text();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const response = await fetch(`${url}/latest/meta-data/instance-id`, {
      headers: { 'x-aws-ec2-metadata-token': session },
    });
    expect(response.status).toBe(401);
  });

  it('IMDSv1 when tokens are optional; a hop limit leaves the token request unanswered', async () => {
    const instance = emulator.instances[0];
    if (instance === undefined) throw new Error('no instance');
    instance.imds.options = { httpTokens: 'optional', tokenHopLimitExceeded: true };
    try {
      expect(await (await fetch(`${instance.imdsUrl}/latest/meta-data/instance-id`)).text()).toBe(
        instance.id,
      );
      const put = fetch(`${instance.imdsUrl}/latest/api/token`, {
        method: 'PUT',
        headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' },
        signal: AbortSignal.timeout(200),
      });
      await expect(put).rejects.toMatchObject({ name: 'TimeoutError' });
      expect(instance.imds.unansweredTokenRequests).toBe(1);
    } finally {
      instance.imds.options = { httpTokens: 'required', tokenHopLimitExceeded: false };
    }
    expect((await fetch(`${instance.imdsUrl}/latest/meta-data/instance-id`)).status).toBe(401);
  });
});
