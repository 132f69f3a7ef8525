import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Fabric } from '../fabric/fabric.js';
import { ROOT_DEVICE_NAME } from '../fabric/fabric.js';
import { type HttpEndpoint, serveHttp } from '../http-endpoint.js';

/** IMDSv2 token lifetimes allowed, in seconds (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html). */
export const TOKEN_TTL_SECONDS = { min: 1, max: 21_600 } as const;
const TTL_HEADER = 'x-aws-ec2-metadata-token-ttl-seconds';
const TOKEN_HEADER = 'x-aws-ec2-metadata-token';

/** How an instance's metadata service is set up (EC2's instance metadata options). */
export interface ImdsOptions {
  /** `required`: IMDSv2 only (a GET without a token is 401); `optional`: IMDSv1 GETs answered too. */
  readonly httpTokens: 'required' | 'optional';
  /**
   * The token reply never reaches the caller, as when `HttpPutResponseHopLimit` is 1 and the caller sits in
   * a container one hop further: the PUT gets no answer at all, so only a client timeout ends it.
   */
  readonly tokenHopLimitExceeded: boolean;
}

/**
 * One instance's metadata service, IMDSv2 by default (`HttpTokens: required`): `PUT /latest/api/token`
 * gives a session token; every `GET /latest/meta-data/...` without a valid one is 401. It answers from the
 * fabric, so `block-device-mapping/` follows attachments. {@link ImdsServer.options} changes at run time.
 */
export class ImdsServer {
  readonly #fabric: Fabric;
  readonly #instanceId: string;
  readonly #tokens = new Map<string, number>();
  #endpoint: HttpEndpoint | undefined;
  options: ImdsOptions = { httpTokens: 'required', tokenHopLimitExceeded: false };
  /** Token requests left unanswered because of the hop limit, for tests to check the fault was met. */
  unansweredTokenRequests = 0;

  private constructor(fabric: Fabric, instanceId: string) {
    this.#fabric = fabric;
    this.#instanceId = instanceId;
  }

  static async start(fabric: Fabric, instanceId: string, host = '127.0.0.1'): Promise<ImdsServer> {
    const server = new ImdsServer(fabric, instanceId);
    server.#endpoint = await serveHttp((request, response) => server.#handle(request, response), host);
    return server;
  }

  get url(): string {
    return this.#endpoint?.url ?? '';
  }

  async stop(): Promise<void> {
    await this.#endpoint?.stop();
  }

  #handle(request: IncomingMessage, response: ServerResponse): void {
    if (request.method === 'PUT' && this.options.tokenHopLimitExceeded) {
      // The reply is dropped on the way back: the connection stays silent until the caller gives up.
      this.unansweredTokenRequests += 1;
      return;
    }
    const { status, body, headers } = this.#answer(request);
    response.writeHead(status, {
      'content-type': 'text/plain',
      'content-length': Buffer.byteLength(body),
      ...headers,
    });
    response.end(body);
  }

  #answer(request: IncomingMessage): { status: number; body: string; headers?: Record<string, string> } {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    if (request.method === 'PUT' && path === '/latest/api/token') {
      // IMDS refuses token requests that went through a proxy.
      if (request.headers['x-forwarded-for'] !== undefined) return { status: 403, body: 'Forbidden' };
      const ttl = Number(request.headers[TTL_HEADER]);
      if (!Number.isInteger(ttl) || ttl < TOKEN_TTL_SECONDS.min || ttl > TOKEN_TTL_SECONDS.max) {
        return { status: 400, body: 'Bad Request' };
      }
      const token = randomBytes(32).toString('base64url');
      this.#tokens.set(token, Date.now() + ttl * 1000);
      return { status: 200, body: token, headers: { [TTL_HEADER]: String(ttl) } };
    }
    if (request.method !== 'GET') return { status: 405, body: 'Method Not Allowed' };
    const token = request.headers[TOKEN_HEADER];
    const expires = typeof token === 'string' ? this.#tokens.get(token) : undefined;
    const v1 = token === undefined && this.options.httpTokens === 'optional';
    if (!v1 && (expires === undefined || expires <= Date.now())) return { status: 401, body: 'Unauthorized' };
    const value = path.startsWith('/latest/meta-data')
      ? this.#metadata(path.replace(/^\/latest\/meta-data\/?/, ''))
      : undefined;
    return value === undefined ? { status: 404, body: 'Not Found' } : { status: 200, body: value };
  }

  #metadata(key: string): string | undefined {
    const instance = this.#fabric.instance(this.#instanceId);
    if (instance === undefined) return undefined;
    const attached = this.#fabric
      .volumes()
      .filter((volume) => volume.attachment?.instanceId === instance.id)
      .map((volume) => volume.attachment?.device ?? '');
    const mapping: Record<string, string> = {
      ami: ROOT_DEVICE_NAME.slice('/dev/'.length),
      root: ROOT_DEVICE_NAME,
      ...Object.fromEntries(
        attached.map((device, index) => [`ebs${index + 1}`, device.slice('/dev/'.length)]),
      ),
    };
    const values: Record<string, string> = {
      '': 'ami-id\nblock-device-mapping/\ninstance-id\ninstance-type\nplacement/',
      'ami-id': 'ami-0123456789abcdef0',
      'instance-id': instance.id,
      'instance-type': instance.instanceType,
      'placement/': 'availability-zone\nregion',
      'placement/availability-zone': instance.zone,
      'placement/region': this.#fabric.region,
      'block-device-mapping/': Object.keys(mapping).join('\n'),
      ...Object.fromEntries(
        Object.entries(mapping).map(([name, device]) => [`block-device-mapping/${name}`, device]),
      ),
    };
    return values[key];
  }
}
