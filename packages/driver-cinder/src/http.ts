import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** TLS settings for every connection to the cloud. */
export interface TlsOptions {
  /** PEM text of the CA to trust instead of the system ones. */
  readonly ca?: string | undefined;
  readonly verify: boolean;
}

export interface HttpRequest {
  readonly method: string;
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent as JSON. */
  readonly body?: unknown;
  readonly timeoutMs: number;
  readonly tls: TlsOptions;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The body parsed as JSON, or `undefined` when empty or not JSON. */
  readonly body: unknown;
}

/** Sends one request; the injected seam under every call this package makes over its own HTTP. */
export type HttpSend = (request: HttpRequest) => Promise<HttpResponse>;

/** A request that got no answer: the connection failed or `timeoutMs` passed. */
export class TransportError extends Error {
  readonly kind: 'timeout' | 'network';
  constructor(kind: 'timeout' | 'network', message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransportError';
    this.kind = kind;
  }
}

/**
 * One JSON request with node's http/https: a hard timeout over the whole exchange, TLS as configured, and no
 * keep-alive (uwsgi's `http-socket`, which many OpenStack deployments sit behind, resets reused connections).
 */
export const sendHttp: HttpSend = (request) =>
  new Promise((resolve, reject) => {
    const url = new URL(request.url);
    const payload = request.body === undefined ? undefined : JSON.stringify(request.body);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const where = `${request.method} ${url.origin}${url.pathname}`;
    const outgoing = send(
      url,
      {
        method: request.method,
        agent: false,
        headers: {
          accept: 'application/json',
          connection: 'close',
          ...(payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }),
          ...request.headers,
        },
        ...(url.protocol === 'https:' ? { ca: request.tls.ca, rejectUnauthorized: request.tls.verify } : {}),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error) => reject(new TransportError('network', `${where}: ${error.message}`)));
        response.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = text === '' ? undefined : JSON.parse(text);
          } catch {
            body = undefined;
          }
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body });
        });
      },
    );
    const timer = setTimeout(() => {
      outgoing.destroy(new TransportError('timeout', `${where}: no answer within ${request.timeoutMs} ms`));
    }, request.timeoutMs);
    outgoing.on('error', (error) => {
      clearTimeout(timer);
      reject(
        error instanceof TransportError ? error : new TransportError('network', `${where}: ${error.message}`),
      );
    });
    outgoing.end(payload);
  });
