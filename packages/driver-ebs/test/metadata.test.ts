import { describe, expect, it } from 'vitest';
import { imdsMetadata } from '../src/index.js';

/** An IMDS whose token request gets no answer and whose reads fail as `read` says. */
function imds(read: () => Promise<Response>): typeof fetch {
  return async (_url, init) => {
    if (init?.method === 'PUT')
      throw new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    return read();
  };
}

describe('imdsMetadata', () => {
  it('names the way it read when the read itself fails, not only when it is refused', async () => {
    const refused = imdsMetadata({
      endpoint: 'http://169.254.169.254',
      fetch: imds(async () => new Response('Unauthorized', { status: 401 })),
    });
    await expect(refused.instanceId()).rejects.toMatchObject({
      code: 'UNKNOWN_INSTANCE_ID',
      message: expect.stringContaining('IMDSv1 (no IMDSv2 token could be had in 2 tries) answered 401'),
    });
    const unanswered = imdsMetadata({
      endpoint: 'http://169.254.169.254',
      fetch: imds(async () => {
        throw new DOMException('The operation was aborted due to timeout', 'TimeoutError');
      }),
    });
    await expect(unanswered.instanceId()).rejects.toMatchObject({
      code: 'UNKNOWN_INSTANCE_ID',
      message: expect.stringContaining('IMDSv1 (no IMDSv2 token could be had): The operation was aborted'),
    });
  });

  it('asks for a token once more when IMDSv1 is refused: the first token request was only slow', async () => {
    const asked: string[] = [];
    let tokens = 0;
    const metadata = imdsMetadata({
      endpoint: 'http://169.254.169.254',
      fetch: async (_url, init) => {
        const headers = new Headers(init?.headers);
        if (init?.method === 'PUT') {
          tokens += 1;
          asked.push(`PUT token ${tokens}`);
          if (tokens === 1)
            throw new DOMException('The operation was aborted due to timeout', 'TimeoutError');
          return new Response('session-2');
        }
        const session = headers.get('x-aws-ec2-metadata-token');
        asked.push(`GET with ${session ?? 'no token'}`);
        return session === 'session-2'
          ? new Response('i-0123456789abcdef0')
          : new Response('Unauthorized', { status: 401 });
      },
    });
    expect(await metadata.instanceId()).toBe('i-0123456789abcdef0');
    expect(asked).toEqual(['PUT token 1', 'GET with no token', 'PUT token 2', 'GET with session-2']);
  });

  it('keeps no failure: the next call asks again and gets the id', async () => {
    let calls = 0;
    const metadata = imdsMetadata({
      endpoint: 'http://169.254.169.254',
      fetch: imds(async () => {
        calls += 1;
        return calls === 1 ? new Response('', { status: 500 }) : new Response('i-0123456789abcdef0');
      }),
    });
    await expect(metadata.instanceId()).rejects.toMatchObject({ code: 'UNKNOWN_INSTANCE_ID' });
    expect(await metadata.instanceId()).toBe('i-0123456789abcdef0');
  });
});
