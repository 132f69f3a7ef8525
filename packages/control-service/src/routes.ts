import { formatIssues, issueMessages } from '@flockerjs/core-interface';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ControlService } from './control-service.js';
import { DEFAULT_WATCH_WAIT_MS } from './control-service.js';
import { ControlApiError, invalidRequest } from './errors.js';
import {
  acquireLeaseSchema,
  clusterUpdateSchema,
  createDatasetSchema,
  datasetConfigSchema,
  datasetIdParamsSchema,
  datasetStateSchema,
  eraNodeSchema,
  eraParamsSchema,
  errorSchema,
  leaseSchema,
  nodeSchema,
  nodeStateReportSchema,
  ownershipResultSchema,
  ownershipSchema,
  updateDatasetSchema,
  versionSchema,
  watchQuerySchema,
} from './schemas.js';

/** Who is at the other end, as its certificate (verified against the cluster CA) says. */
export type PeerIdentity =
  | { readonly kind: 'node'; readonly nodeUuid: string }
  | { readonly kind: 'user'; readonly name: string };

/** Who may call a route: API users (`user-` certificates), agents (`node-`), or either. */
export type RouteAudience = 'user' | 'node' | 'any';

/** What the handler of a request knows about it. */
export interface RouteInput<P, B, Q> {
  readonly params: P;
  readonly body: B;
  readonly query: Q;
  readonly request: FastifyRequest;
  /** The client's certificate identity; undefined in insecure development mode. */
  readonly peer: PeerIdentity | undefined;
  readonly service: ControlService;
  readonly version: string;
}

export interface RouteReply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** One route: its validation, its documentation and its handler, from one definition. */
export interface Route<P = unknown, B = unknown, Q = unknown> {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** fastify syntax: `/v1/configuration/datasets/:dataset_id`. */
  readonly url: string;
  readonly summary: string;
  readonly audience: RouteAudience;
  /** Honours `X-If-Configuration-Matches`, checked before the body, as the original. */
  readonly conditional?: boolean;
  readonly params?: z.ZodType<P>;
  readonly body?: z.ZodType<B>;
  readonly query?: z.ZodType<Q>;
  /** Success and refusal bodies by status; refusals are {@link errorSchema}. */
  readonly responses: Readonly<Record<number, z.ZodType>>;
  readonly handle: (input: RouteInput<P, B, Q>) => Promise<RouteReply> | RouteReply;
}

function route<P = unknown, B = unknown, Q = unknown>(definition: Route<P, B, Q>): Route {
  return definition as unknown as Route;
}

const errors = (...statuses: number[]): Record<number, z.ZodType> =>
  Object.fromEntries(statuses.map((status) => [status, errorSchema]));

/** The `X-If-Configuration-Matches` values, repeated or comma-separated; undefined when absent. */
export function ifMatches(request: FastifyRequest): string[] | undefined {
  const header = request.headers['x-if-configuration-matches'];
  if (header === undefined) return undefined;
  return (Array.isArray(header) ? header : [header]).flatMap((value) =>
    value.split(',').map((part) => part.trim()),
  );
}

/**
 * The node an agent request speaks for: the certificate's node under TLS (a different `node_uuid` claimed in
 * the request is refused with 403), the claimed one in insecure development mode.
 */
function agentNode(peer: PeerIdentity | undefined, claimed: string | undefined): string {
  if (peer === undefined) {
    if (claimed === undefined) throw invalidRequest(['node_uuid: required without TLS']);
    return claimed;
  }
  if (peer.kind !== 'node')
    throw new ControlApiError('FORBIDDEN', 403, 'Only node certificates may do this.');
  if (claimed !== undefined && claimed !== peer.nodeUuid) {
    throw new ControlApiError(
      'FORBIDDEN',
      403,
      `This certificate belongs to node ${peer.nodeUuid}; it cannot speak for node ${claimed}.`,
    );
  }
  return peer.nodeUuid;
}

/** The address a request came from, IPv4-mapped IPv6 shown as IPv4. */
function sourceAddress(request: FastifyRequest): string {
  const address = request.socket.remoteAddress ?? '';
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}

/** Every route of the REST API v1 and of the agent protocol. */
export const ROUTES: readonly Route[] = [
  route({
    method: 'GET',
    url: '/v1/version',
    summary: 'The software version.',
    audience: 'any',
    responses: { 200: versionSchema },
    handle: ({ version }) => ({ status: 200, body: { flocker: version } }),
  }),
  route({
    method: 'GET',
    url: '/v1/openapi.json',
    summary: 'This API as an OpenAPI 3.1 document.',
    audience: 'any',
    responses: { 200: z.record(z.string(), z.unknown()) },
    handle: ({ version }) => ({ status: 200, body: openApiDocument(version) }),
  }),
  route({
    method: 'GET',
    url: '/v1/configuration/datasets',
    summary: 'The dataset configuration, deleted datasets included; the X-Configuration-Tag header tags it.',
    audience: 'user',
    responses: { 200: z.array(datasetConfigSchema) },
    handle: ({ service }) => ({
      status: 200,
      body: service.datasets(),
      headers: { 'x-configuration-tag': service.configurationTag() },
    }),
  }),
  route({
    method: 'POST',
    url: '/v1/configuration/datasets',
    summary: 'Creates a dataset on a node. Honours X-If-Configuration-Matches.',
    audience: 'user',
    conditional: true,
    body: createDatasetSchema,
    responses: { 201: datasetConfigSchema, ...errors(400, 409, 412) },
    handle: async ({ service, body, request }) => ({
      status: 201,
      body: await service.createDataset(body, ifMatches(request)),
    }),
  }),
  route({
    method: 'POST',
    url: '/v1/configuration/datasets/:dataset_id',
    summary:
      'Moves a dataset by changing its primary (refused while it is leased) and grows it by raising its ' +
      'maximum_size (refused when smaller, or when the backend cannot resize). Honours X-If-Configuration-Matches.',
    audience: 'user',
    conditional: true,
    params: datasetIdParamsSchema,
    body: updateDatasetSchema,
    responses: { 200: datasetConfigSchema, ...errors(400, 404, 405, 409, 412) },
    handle: async ({ service, params, body, request }) => ({
      status: 200,
      body: await service.updateDataset(params.dataset_id, body, ifMatches(request)),
    }),
  }),
  route({
    method: 'DELETE',
    url: '/v1/configuration/datasets/:dataset_id',
    summary: 'Deletes a dataset (its id stays taken). Refused while it is leased.',
    audience: 'user',
    conditional: true,
    params: datasetIdParamsSchema,
    responses: { 200: datasetConfigSchema, ...errors(400, 404, 409, 412) },
    handle: async ({ service, params, request }) => ({
      status: 200,
      body: await service.deleteDataset(params.dataset_id, ifMatches(request)),
    }),
  }),
  route({
    method: 'GET',
    url: '/v1/state/datasets',
    summary: "The datasets the nodes' agents report now; primary and path where mounted.",
    audience: 'user',
    responses: { 200: z.array(datasetStateSchema) },
    handle: ({ service }) => ({ status: 200, body: service.datasetStates() }),
  }),
  route({
    method: 'GET',
    url: '/v1/state/nodes',
    summary: 'The nodes whose agents are reporting.',
    audience: 'user',
    responses: { 200: z.array(nodeSchema) },
    handle: ({ service }) => ({ status: 200, body: service.nodes() }),
  }),
  route({
    method: 'GET',
    url: '/v1/state/nodes/by_era/:era',
    summary: 'The node whose agent reported this boot id.',
    audience: 'user',
    params: eraParamsSchema,
    responses: { 200: eraNodeSchema, ...errors(400, 404) },
    handle: ({ service, params }) => {
      const uuid = service.nodeByEra(params.era);
      if (uuid === undefined) throw new ControlApiError('NOT_FOUND', 404, 'No node found with given era.');
      return { status: 200, body: { uuid } };
    },
  }),
  route({
    method: 'GET',
    url: '/v1/configuration/leases',
    summary: 'The leases in force.',
    audience: 'user',
    responses: { 200: z.array(leaseSchema) },
    handle: ({ service }) => ({ status: 200, body: service.leases() }),
  }),
  route({
    method: 'POST',
    url: '/v1/configuration/leases',
    summary: 'Acquires (201) or renews (200, same node) a lease on an existing dataset for a known node.',
    audience: 'user',
    body: acquireLeaseSchema,
    responses: { 200: leaseSchema, 201: leaseSchema, ...errors(400, 404, 405, 409) },
    handle: async ({ service, body }) => {
      const { lease, created } = await service.acquireLease(body);
      return { status: created ? 201 : 200, body: lease };
    },
  }),
  route({
    method: 'DELETE',
    url: '/v1/configuration/leases/:dataset_id',
    summary: 'Releases a lease.',
    audience: 'user',
    params: datasetIdParamsSchema,
    responses: { 200: leaseSchema, ...errors(400, 404) },
    handle: async ({ service, params }) => ({
      status: 200,
      body: await service.releaseLease(params.dataset_id),
    }),
  }),
  route({
    method: 'POST',
    url: '/v1/agent/state',
    summary: "Agent protocol: the calling node's state. Under TLS a node speaks only for itself (403).",
    audience: 'node',
    body: nodeStateReportSchema,
    responses: { 200: z.object({ node_uuid: z.string() }), ...errors(400, 403) },
    handle: async ({ service, body, peer, request }) => {
      const nodeUuid = agentNode(peer, body.node_uuid);
      await service.reportNodeState({
        nodeUuid,
        host: body.host ?? sourceAddress(request),
        instanceId: body.instance_id,
        era: body.era,
        canResize: body.can_resize,
        datasets: body.datasets,
      });
      return { status: 200, body: { node_uuid: nodeUuid } };
    },
  }),
  route({
    method: 'POST',
    url: '/v1/agent/ownership',
    summary: 'Agent protocol: records which volume holds a dataset; the first registration wins (409).',
    audience: 'node',
    body: ownershipSchema,
    responses: { 200: ownershipResultSchema, ...errors(400, 403, 409) },
    handle: async ({ service, body, peer }) => {
      agentNode(peer, body.node_uuid);
      await service.recordOwnership(body.dataset_id, body.blockdevice_id);
      return { status: 200, body: { dataset_id: body.dataset_id, blockdevice_id: body.blockdevice_id } };
    },
  }),
  route({
    method: 'GET',
    url: '/v1/agent/cluster',
    summary:
      'Agent protocol: configuration and cluster state. Answers at once when `since` is not the current ' +
      'version, otherwise when something changes or after `wait_ms` (long poll).',
    audience: 'node',
    query: watchQuerySchema,
    responses: { 200: clusterUpdateSchema, ...errors(400, 403) },
    handle: async ({ service, query, peer, request }) => {
      const nodeUuid = agentNode(peer, query.node_uuid);
      const abort = new AbortController();
      const onClose = (): void => abort.abort();
      request.raw.once('close', onClose);
      try {
        const update = await service.watch(
          nodeUuid,
          query.since,
          query.wait_ms ?? DEFAULT_WATCH_WAIT_MS,
          abort.signal,
        );
        return { status: 200, body: update };
      } finally {
        request.raw.off('close', onClose);
      }
    },
  }),
];

/** Parses a request part with its schema; a mismatch is Flocker's 400 naming each key. */
export function parseWith<T>(schema: z.ZodType<T> | undefined, value: unknown, where?: string): T {
  if (schema === undefined) return undefined as T;
  const result = schema.safeParse(value ?? (where === 'body' ? {} : value), { error: issueMessages });
  if (!result.success) throw invalidRequest(formatIssues(result.error.issues));
  return result.data;
}

let documentCache: { version: string; document: Record<string, unknown> } | undefined;

/** The OpenAPI 3.1 document of {@link ROUTES}, generated from their zod schemas. */
export function openApiDocument(version: string): Record<string, unknown> {
  if (documentCache?.version === version) return documentCache.document;
  const schema = (type: z.ZodType, io: 'input' | 'output'): Record<string, unknown> => {
    const { $schema: _ignored, ...rest } = z.toJSONSchema(type, { io, unrepresentable: 'any' }) as Record<
      string,
      unknown
    >;
    return rest;
  };
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of ROUTES) {
    const path = r.url.replace(/:([a-z_]+)/g, '{$1}');
    const parameters = [
      ...Object.entries((r.params as z.ZodObject | undefined)?.shape ?? {}).map(([name, type]) => ({
        name,
        in: 'path',
        required: true,
        schema: schema(type as z.ZodType, 'input'),
      })),
      ...Object.entries((r.query as z.ZodObject | undefined)?.shape ?? {}).map(([name, type]) => ({
        name,
        in: 'query',
        required: false,
        schema: schema(type as z.ZodType, 'input'),
      })),
    ];
    paths[path] ??= {};
    (paths[path] as Record<string, unknown>)[r.method.toLowerCase()] = {
      summary: r.summary,
      'x-flocker-audience': r.audience,
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(r.body === undefined
        ? {}
        : {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: schema(r.body, 'input') } },
            },
          }),
      responses: Object.fromEntries(
        Object.entries(r.responses).map(([status, type]) => [
          status,
          {
            description: Number(status) < 400 ? 'Success' : 'Refused',
            content: { 'application/json': { schema: schema(type, 'output') } },
          },
        ]),
      ),
    };
  }
  const document = {
    openapi: '3.1.0',
    info: { title: 'flockerjs control service', version },
    paths,
  };
  documentCache = { version, document };
  return document;
}
