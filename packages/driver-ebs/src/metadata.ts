import { UnknownInstanceIdError } from '@flockerjs/core-interface';

/** What the driver needs to know about the instance it runs on. */
export interface InstanceMetadata {
  instanceId(): Promise<string>;
}

/** Per request to IMDS; it answers in milliseconds on a healthy instance. */
export const IMDS_TIMEOUT_MS = 2_000;
/** Lifetime asked for an IMDSv2 session token: only the one read needs it. */
const TOKEN_TTL_SECONDS = 60;
const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;

export interface ImdsOptions {
  /** The IMDS base URL (`http://169.254.169.254`). */
  readonly endpoint: string;
  /** Longest wait per request, the token request included. @default {@link IMDS_TIMEOUT_MS} */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

/**
 * The instance id from the metadata service: IMDSv2 first (a session token, then the read with it); when the
 * token request gets no usable answer (a hop limit of 1 drops the reply to a container, an old instance
 * refuses the PUT) the read is made as IMDSv1, without a token. Read once, when first asked, and kept: it
 * never changes while the instance lives. A failure is not kept, so the next call asks again.
 */
export function imdsMetadata(options: ImdsOptions): InstanceMetadata {
  const base = new URL(options.endpoint).origin;
  const timeoutMs = options.timeoutMs ?? IMDS_TIMEOUT_MS;
  const send = options.fetch ?? fetch;
  const request = (path: string, init: RequestInit = {}) =>
    send(`${base}${path}`, { ...init, signal: AbortSignal.timeout(timeoutMs) });

  const token = async (): Promise<string | undefined> => {
    try {
      const response = await request('/latest/api/token', {
        method: 'PUT',
        headers: { 'x-aws-ec2-metadata-token-ttl-seconds': String(TOKEN_TTL_SECONDS) },
      });
      return response.ok ? await response.text() : undefined;
    } catch {
      // No answer in time: the hop limit dropped it, or IMDSv2 is not there. IMDSv1 may still answer.
      return undefined;
    }
  };

  // Every failure names the way that was tried: without a token, the operator must allow IMDSv2's hop.
  const get = async (
    session: string | undefined,
    tries = 1,
  ): Promise<{ response: Response; how: string }> => {
    const how =
      session !== undefined
        ? 'IMDSv2'
        : `IMDSv1 (no IMDSv2 token could be had${tries > 1 ? ` in ${tries} tries` : ''})`;
    const response = await request('/latest/meta-data/instance-id', {
      headers: session === undefined ? {} : { 'x-aws-ec2-metadata-token': session },
    }).catch((error: Error) => {
      throw new Error(`${how}: ${error.message}`, { cause: error });
    });
    return { response, how };
  };

  const read = async (): Promise<string> => {
    const session = await token();
    let { response, how } = await get(session);
    if (response.status === 401 && session === undefined) {
      // IMDSv1 refused means this instance requires IMDSv2, so the token request was there and only slow (a
      // loaded node): one more try before the node is said to have no identity.
      await response.body?.cancel();
      const again = await token();
      ({ response, how } = await get(again, 2));
    }
    const body = (await response.text()).trim();
    if (!response.ok) throw new Error(`${how} answered ${response.status}`);
    if (!INSTANCE_ID.test(body)) throw new Error(`answered ${JSON.stringify(body)}, not an instance id`);
    return body;
  };

  let instanceId: Promise<string> | undefined;
  return {
    instanceId() {
      instanceId ??= read().catch((error: unknown) => {
        instanceId = undefined;
        throw new UnknownInstanceIdError(`IMDS at ${base}: ${(error as Error).message}`, { cause: error });
      });
      return instanceId;
    },
  };
}
