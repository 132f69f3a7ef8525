import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { type ClusterCredentials, createClientAgent } from '@flockerjs/cluster-ca';
import { type Clock, systemClock, waitFor } from '@flockerjs/core-interface';
import type { z } from 'zod';
import { CONTROL_ERROR_CODES, ControlApiError, type ControlErrorCode } from './errors.js';
import {
  type AcquireLeaseRequest,
  type ClusterUpdate,
  type CreateDatasetRequest,
  clusterUpdateSchema,
  type DatasetConfig,
  type DatasetState,
  datasetConfigSchema,
  datasetStateSchema,
  eraNodeSchema,
  type Lease,
  leaseSchema,
  type NodeStateReport,
  type NodeSummary,
  nodeSchema,
  versionSchema,
} from './schemas.js';

/** How long one request may take, long polls excepted (they add their own wait). */
const REQUEST_TIMEOUT_MS = 30_000;

export interface ControlClientOptions {
  /** `https://host:port`, or `http://host:port` for a service in insecure development mode. */
  readonly url: string;
  /**
   * This client's credentials (`loadCredentials` of `@flockerjs/cluster-ca`): a `user-` certificate for the
   * REST API, a `node-` one for the agent protocol. The server must be this cluster's `control-service`.
   */
  readonly credentials?: ClusterCredentials;
  /** Agent calls without TLS must say which node they speak for; under TLS the certificate says it. */
  readonly nodeUuid?: string;
  readonly clock?: Clock;
}

/** What {@link ControlClient.waitForDataset} waits for. */
export type DatasetCondition =
  | { readonly mountedOn: string }
  | { readonly gone: true }
  | { readonly test: (state: DatasetState | undefined) => boolean; readonly what: string };

/**
 * A typed client of the control service: the REST API (datasets, state, leases) with waits for the cluster to
 * converge, and the agent protocol. Refusals reject with {@link ControlApiError} carrying the status, Flocker's
 * description and a stable code; an unreachable service with code `CONTROL_UNREACHABLE`.
 */
export class ControlClient {
  readonly url: URL;
  readonly #options: ControlClientOptions;
  readonly #agent: HttpAgent;
  readonly #clock: Clock;

  constructor(options: ControlClientOptions) {
    this.url = new URL(options.url);
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#agent =
      this.url.protocol === 'http:'
        ? new HttpAgent({ keepAlive: true })
        : options.credentials === undefined
          ? new HttpsAgent({ keepAlive: true })
          : createClientAgent(options.credentials);
  }

  // --- REST API ---

  async version(): Promise<string> {
    return (await this.#call('GET', '/v1/version', undefined, versionSchema)).body.flocker;
  }

  /** The dataset configuration and its tag, for conditional changes. */
  async listDatasets(): Promise<{ datasets: DatasetConfig[]; tag: string }> {
    const reply = await this.#call(
      'GET',
      '/v1/configuration/datasets',
      undefined,
      datasetConfigSchema.array(),
    );
    return { datasets: reply.body, tag: reply.headers['x-configuration-tag'] as string };
  }

  async createDataset(
    request: CreateDatasetRequest,
    options?: { ifMatches?: string },
  ): Promise<DatasetConfig> {
    return (await this.#call('POST', '/v1/configuration/datasets', request, datasetConfigSchema, options))
      .body;
  }

  /** Moves a dataset to the node `primary`. */
  async moveDataset(
    datasetId: string,
    primary: string,
    options?: { ifMatches?: string },
  ): Promise<DatasetConfig> {
    const path = `/v1/configuration/datasets/${encodeURIComponent(datasetId)}`;
    return (await this.#call('POST', path, { primary }, datasetConfigSchema, options)).body;
  }

  /**
   * Grows a dataset to `maximumSize` bytes. @throws {@link ControlApiError} `DATASET_SHRINK` when smaller than
   * its current size, `RESIZE_UNSUPPORTED` when its node's backend cannot resize.
   */
  async resizeDataset(
    datasetId: string,
    maximumSize: number,
    options?: { ifMatches?: string },
  ): Promise<DatasetConfig> {
    const path = `/v1/configuration/datasets/${encodeURIComponent(datasetId)}`;
    return (await this.#call('POST', path, { maximum_size: maximumSize }, datasetConfigSchema, options)).body;
  }

  async deleteDataset(datasetId: string, options?: { ifMatches?: string }): Promise<DatasetConfig> {
    const path = `/v1/configuration/datasets/${encodeURIComponent(datasetId)}`;
    return (await this.#call('DELETE', path, undefined, datasetConfigSchema, options)).body;
  }

  async datasetStates(): Promise<DatasetState[]> {
    return (await this.#call('GET', '/v1/state/datasets', undefined, datasetStateSchema.array())).body;
  }

  async nodes(): Promise<NodeSummary[]> {
    return (await this.#call('GET', '/v1/state/nodes', undefined, nodeSchema.array())).body;
  }

  /** The node whose agent reported this boot id, or undefined. */
  async nodeByEra(era: string): Promise<string | undefined> {
    try {
      const path = `/v1/state/nodes/by_era/${encodeURIComponent(era)}`;
      return (await this.#call('GET', path, undefined, eraNodeSchema)).body.uuid;
    } catch (error) {
      if (error instanceof ControlApiError && error.code === 'NOT_FOUND') return undefined;
      throw error;
    }
  }

  async leases(): Promise<Lease[]> {
    return (await this.#call('GET', '/v1/configuration/leases', undefined, leaseSchema.array())).body;
  }

  async acquireLease(request: AcquireLeaseRequest): Promise<Lease> {
    return (await this.#call('POST', '/v1/configuration/leases', request, leaseSchema)).body;
  }

  async releaseLease(datasetId: string): Promise<Lease> {
    const path = `/v1/configuration/leases/${encodeURIComponent(datasetId)}`;
    return (await this.#call('DELETE', path, undefined, leaseSchema)).body;
  }

  async openApi(): Promise<Record<string, unknown>> {
    const reply = await this.#call('GET', '/v1/openapi.json', undefined, undefined);
    return reply.body as Record<string, unknown>;
  }

  /**
   * Polls `/v1/state/datasets` until the dataset is mounted on a node, gone from the state, or passes `test`;
   * returns its last state. Polls back off from 50 ms to `maxIntervalMs` (default 500; lower it to time a
   * change closely). @throws `TIMEOUT` naming the dataset and the last state seen.
   */
  async waitForDataset(
    datasetId: string,
    condition: DatasetCondition,
    options: { timeoutMs: number; maxIntervalMs?: number; signal?: AbortSignal },
  ): Promise<DatasetState | undefined> {
    const [what, test] =
      'mountedOn' in condition
        ? [
            `dataset ${datasetId} to be mounted on node ${condition.mountedOn}`,
            (s: DatasetState | undefined) => s?.primary === condition.mountedOn && s.path !== undefined,
          ]
        : 'gone' in condition
          ? [
              `dataset ${datasetId} to be gone from the cluster state`,
              (s: DatasetState | undefined) => s === undefined,
            ]
          : [condition.what, condition.test];
    return waitFor({
      what,
      timeoutMs: options.timeoutMs,
      intervalMs: 50,
      maxIntervalMs: options.maxIntervalMs ?? 500,
      clock: this.#clock,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      poll: async () => {
        const state = (await this.datasetStates()).find((s) => s.dataset_id === datasetId);
        return test(state) ? { done: true, value: state } : { done: false, state: state ?? 'absent' };
      },
    });
  }

  /**
   * Polls `/v1/state/nodes` until every node of `nodeUuids` is listed (their agents are reporting); returns the
   * nodes listed then. @throws `TIMEOUT` naming the nodes still missing.
   */
  async waitForNodes(
    nodeUuids: readonly string[],
    options: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<NodeSummary[]> {
    return waitFor({
      what: `nodes ${nodeUuids.join(', ')} to report`,
      timeoutMs: options.timeoutMs,
      intervalMs: 50,
      maxIntervalMs: 500,
      clock: this.#clock,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      poll: async () => {
        const nodes = await this.nodes();
        const missing = nodeUuids.filter((uuid) => !nodes.some((node) => node.uuid === uuid));
        return missing.length === 0 ? { done: true, value: nodes } : { done: false, state: { missing } };
      },
    });
  }

  // --- agent protocol ---

  /** Reports this node's state; returns the node UUID the service recorded it under. */
  async reportNodeState(report: NodeStateReport): Promise<string> {
    const body = { ...this.#nodeField(), ...report };
    const reply = await this.#call('POST', '/v1/agent/state', body, undefined);
    return (reply.body as { node_uuid: string }).node_uuid;
  }

  /** Registers the volume holding a dataset. @throws `ALREADY_OWNED` naming the volume that holds it. */
  async recordOwnership(datasetId: string, blockDeviceId: string): Promise<void> {
    const body = { ...this.#nodeField(), dataset_id: datasetId, blockdevice_id: blockDeviceId };
    await this.#call('POST', '/v1/agent/ownership', body, undefined);
  }

  /**
   * The configuration and cluster state: at once when `since` is not the current version, otherwise once
   * something changes, or after `waitMs` with the same version.
   */
  async watchCluster(
    options: { since?: string; waitMs?: number; signal?: AbortSignal } = {},
  ): Promise<ClusterUpdate> {
    const query = new URLSearchParams();
    if (this.#options.nodeUuid !== undefined && this.#options.credentials === undefined) {
      query.set('node_uuid', this.#options.nodeUuid);
    }
    if (options.since !== undefined) query.set('since', options.since);
    if (options.waitMs !== undefined) query.set('wait_ms', String(options.waitMs));
    const reply = await this.#call('GET', `/v1/agent/cluster?${query}`, undefined, clusterUpdateSchema, {
      timeoutMs: REQUEST_TIMEOUT_MS + (options.waitMs ?? 30_000),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    return reply.body;
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.#agent.destroy();
  }

  // --- internals ---

  #nodeField(): { node_uuid?: string } {
    return this.#options.nodeUuid === undefined || this.#options.credentials !== undefined
      ? {}
      : { node_uuid: this.#options.nodeUuid };
  }

  async #call<T>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body: unknown,
    schema: z.ZodType<T> | undefined,
    options: { ifMatches?: string; timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<{ body: T; headers: IncomingMessage['headers'] }> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const url = new URL(path, this.url);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    type Exchange = { status: number; text: string; headers: IncomingMessage['headers'] };
    const exchange = (retry: boolean): Promise<Exchange> =>
      new Promise<Exchange>((resolve, reject) => {
        const req = send(
          url,
          {
            method,
            agent: this.#agent,
            timeout: options.timeoutMs ?? REQUEST_TIMEOUT_MS,
            ...(options.signal === undefined ? {} : { signal: options.signal }),
            headers: {
              accept: 'application/json',
              ...(payload === undefined
                ? {}
                : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
              ...(options.ifMatches === undefined ? {} : { 'x-if-configuration-matches': options.ifMatches }),
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                text: Buffer.concat(chunks).toString('utf8'),
                headers: res.headers,
              }),
            );
            res.on('error', reject);
          },
        );
        req.on('timeout', () =>
          req.destroy(new Error(`no answer within ${options.timeoutMs ?? REQUEST_TIMEOUT_MS} ms`)),
        );
        req.on('error', (error: NodeJS.ErrnoException) => {
          // A kept-alive connection the server closed as this request went out: a GET changes nothing, so it is
          // sent once more, on a new connection (Node's documented way for idempotent requests).
          if (retry && method === 'GET' && req.reusedSocket && error.code === 'ECONNRESET') {
            resolve(exchange(false));
            return;
          }
          reject(
            options.signal?.aborted
              ? error
              : new ControlApiError('CONTROL_UNREACHABLE', 0, `${method} ${url.href}: ${error.message}`, {
                  cause: error,
                }),
          );
        });
        req.end(payload);
      });
    const response = await exchange(true);
    let parsed: unknown;
    try {
      parsed = response.text === '' ? undefined : JSON.parse(response.text);
    } catch {
      parsed = response.text;
    }
    if (response.status >= 400) {
      const error = (parsed ?? {}) as { description?: string; code?: string; errors?: string[] };
      const code = CONTROL_ERROR_CODES.includes(error.code as ControlErrorCode)
        ? (error.code as ControlErrorCode)
        : 'INTERNAL';
      throw new ControlApiError(code, response.status, error.description ?? String(parsed), {
        ...(error.errors === undefined ? {} : { errors: error.errors }),
      });
    }
    return { body: schema === undefined ? (parsed as T) : schema.parse(parsed), headers: response.headers };
  }
}
