import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { type ClusterCredentials, peerIdentity, serverTlsOptions } from '@flockerjs/cluster-ca';
import { hasCode } from '@flockerjs/core-interface';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ControlService } from './control-service.js';
import { ControlApiError, UNDECODABLE_BODY } from './errors.js';
import type { RequestSample } from './metrics-endpoint.js';
import { DEFAULT_AGENT_PORT, DEFAULT_API_PORT } from './ports.js';
import { ifMatches, type PeerIdentity, parseWith, ROUTES, type RouteAudience } from './routes.js';

/** Largest request body accepted, in bytes. */
const BODY_LIMIT_BYTES = 1024 * 1024;

export interface ControlServerOptions {
  readonly service: ControlService;
  /**
   * The control service's credentials (`loadCredentials(dir, { kind: 'control' })` of `@flockerjs/cluster-ca`):
   * mutual TLS under the cluster CA. Undefined means insecure development mode: plain HTTP, no identities.
   */
  readonly credentials: ClusterCredentials | undefined;
  /** Ports to serve the same API on; 0 picks a free one. @default [4523, 4524] */
  readonly ports?: readonly number[];
  /** @default '0.0.0.0' (every IPv4 address, as the original); '::' for IPv6 too */
  readonly host?: string;
  /** Where failures worth an operator's attention go. @default standard error */
  readonly log?: (line: string) => void;
  /** Told of every request answered, as `flocker-control --metrics` counts them. */
  readonly observeRequest?: (sample: RequestSample) => void;
}

export interface RunningControlServer {
  /** The ports listened on, in the order asked. */
  readonly ports: readonly number[];
  /** `https://127.0.0.1:<first port>` (or http in insecure mode): for tests and local clients. */
  readonly url: string;
  /** Stops accepting, answers the waiting watches, closes every connection and the service. */
  close(): Promise<void>;
}

const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** Serves the control service's REST API and agent protocol over HTTPS (or HTTP in development mode). */
export async function startControlServer(options: ControlServerOptions): Promise<RunningControlServer> {
  const { service, credentials } = options;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const makeServer = (h: (req: IncomingMessage, res: ServerResponse) => void): Server =>
    credentials === undefined ? createHttpServer(h) : createHttpsServer(serverTlsOptions(credentials), h);
  // Imported here, not at the top: every agent imports this package for its client and schemas, and loading
  // fastify took a third of an agent's start-up.
  const { default: Fastify } = await import('fastify');
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT_BYTES,
    forceCloseConnections: true,
    serverFactory: (h) => {
      handler = h;
      return makeServer(h);
    },
  });

  // Every body is JSON whatever its content type, as the original; an empty body is no body, and the bodies of
  // GET and DELETE are ignored.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
    const text = String(body);
    if (text.trim() === '' || request.method !== 'POST') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new ControlApiError('INVALID_REQUEST', 400, UNDECODABLE_BODY), undefined);
    }
  });

  const observe = options.observeRequest;
  if (observe !== undefined) {
    app.addHook('onResponse', async (request, reply) => {
      observe({
        method: request.method,
        route: request.routeOptions.url ?? '(no route)',
        status: reply.statusCode,
        durationMs: reply.elapsedTime,
      });
    });
  }
  app.setErrorHandler((error, request, reply) => sendError(error, request, reply, log));
  app.setNotFoundHandler((_request, reply) => {
    reply.code(404).send({ description: 'Not found.', code: 'NOT_FOUND' });
  });

  for (const route of ROUTES) {
    app.route({
      method: route.method,
      url: route.url,
      // Who may call is decided before the body is read.
      onRequest: async (request) => {
        identify(request, credentials, route.audience);
      },
      handler: async (request, reply) => {
        const peer = identify(request, credentials, route.audience);
        if (route.conditional) service.checkTag(ifMatches(request));
        const params = parseWith(route.params, request.params);
        const query = parseWith(route.query, request.query);
        const body = route.method === 'POST' ? parseWith(route.body, request.body, 'body') : undefined;
        const result = await route.handle({ params, query, body, request, peer, service, version: VERSION });
        const schema = route.responses[result.status];
        if (schema === undefined) throw new Error(`${route.url}: no response schema for ${result.status}`);
        reply.code(result.status).headers(result.headers ?? {});
        return schema.parse(result.body);
      },
    });
  }

  const ports = options.ports ?? [DEFAULT_API_PORT, DEFAULT_AGENT_PORT];
  const host = options.host ?? '0.0.0.0';
  const [first = DEFAULT_API_PORT, ...others] = ports;
  await app.listen({ port: first, host });
  const extra: Server[] = [];
  const listening = [(app.server.address() as AddressInfo).port];
  try {
    for (const port of others) {
      const server = makeServer(handler as (req: IncomingMessage, res: ServerResponse) => void);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
      extra.push(server);
      listening.push((server.address() as AddressInfo).port);
    }
  } catch (error) {
    await closeAll(app, extra, service);
    throw error;
  }
  const scheme = credentials === undefined ? 'http' : 'https';
  return {
    ports: listening,
    url: `${scheme}://127.0.0.1:${listening[0]}`,
    close: () => closeAll(app, extra, service),
  };
}

// --- internals ---

async function closeAll(
  app: { close(): Promise<void> },
  extra: readonly Server[],
  service: ControlService,
): Promise<void> {
  await service.close();
  for (const server of extra) {
    server.close();
    server.closeAllConnections();
  }
  await app.close();
}

/** The caller's identity, refused (403) unless its certificate names a party of this route's audience. */
function identify(
  request: FastifyRequest,
  credentials: ClusterCredentials | undefined,
  audience: RouteAudience,
): PeerIdentity | undefined {
  if (credentials === undefined) return undefined;
  try {
    const identity = peerIdentity(request.raw.socket as TLSSocket, {
      clusterId: credentials.identity.clusterId,
      kinds: audience === 'any' ? ['user', 'node'] : [audience],
    });
    if (identity.kind === 'node') return { kind: 'node', nodeUuid: identity.nodeUuid };
    if (identity.kind === 'user') return { kind: 'user', name: identity.userName };
    throw new ControlApiError('FORBIDDEN', 403, 'The control service does not take requests from itself.');
  } catch (error) {
    if (hasCode(error, 'PEER_REFUSED')) throw new ControlApiError('FORBIDDEN', 403, error.message);
    throw error;
  }
}

function sendError(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  log: (line: string) => void,
): void {
  if (error instanceof ControlApiError) {
    reply.code(error.status).send({
      description: error.description,
      code: error.code,
      ...(error.errors === undefined ? {} : { errors: [...error.errors] }),
    });
    return;
  }
  const status = (error as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // fastify's own refusals: a body too large, a malformed URL.
    reply.code(status).send({ description: (error as Error).message, code: 'INVALID_REQUEST' });
    return;
  }
  const incident = randomUUID();
  log(
    `flocker-control: incident ${incident} on ${request.method} ${request.url}: ${(error as Error)?.stack ?? error}`,
  );
  reply.code(500).send({ description: `Internal error, logged as incident ${incident}.`, code: 'INTERNAL' });
}
