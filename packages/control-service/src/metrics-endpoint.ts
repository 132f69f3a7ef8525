import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from '@flockerjs/core-interface';
import type { Registry } from 'prom-client';

/** Upper bounds, in seconds, of the latency histograms: cloud calls take from milliseconds to minutes. */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300,
];

/** One request the control service answered. */
export interface RequestSample {
  readonly method: string;
  /** The route's URL pattern (`/v1/configuration/datasets/:dataset_id`), never the raw URL. */
  readonly route: string;
  readonly status: number;
  readonly durationMs: number;
}

/** A `/metrics` endpoint in Prometheus' text format, and what it counts. */
export interface MetricsEndpoint {
  /** `http://host:port/metrics`, with the port bound. */
  readonly url: string;
  readonly registry: Registry;
  /** Driver contract calls and backend API calls (give it to the loader as `metrics`). */
  readonly metrics: Metrics;
  /** Counts one control service request. */
  observeRequest(sample: RequestSample): void;
  /** Stops serving; the counts stay readable in `registry`. */
  close(): Promise<void>;
}

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * `host:port` (`[::1]:9100`, `127.0.0.1:0`) as an address to listen on; port 0 picks a free one.
 * @throws TypeError naming what is wrong.
 */
export function parseListenAddress(text: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (match === null || port > 65535) {
    throw new TypeError(
      `expected HOST:PORT (say 127.0.0.1:9100, [::1]:9100, port 0 for any), got ${JSON.stringify(text)}`,
    );
  }
  return { host: match[1] ?? match[2] ?? '', port };
}

/**
 * Serves `/metrics` over plain HTTP on `address`, with Node's process metrics and the flockerjs counters.
 * prom-client is imported here, when an endpoint is asked for, not when this package is.
 */
export async function startMetricsEndpoint(address: ListenAddress): Promise<MetricsEndpoint> {
  const { Counter, Histogram, Registry, collectDefaultMetrics } = await import('prom-client');
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const buckets = [...LATENCY_BUCKETS_SECONDS];
  const driverDuration = new Histogram({
    name: 'flocker_driver_call_duration_seconds',
    help: 'Duration of driver contract calls, by backend and method.',
    labelNames: ['backend', 'method'] as const,
    buckets,
    registers,
  });
  const driverCalls = new Counter({
    name: 'flocker_driver_calls_total',
    help: 'Driver contract calls, by backend, method, outcome and error code (empty on success).',
    labelNames: ['backend', 'method', 'outcome', 'code'] as const,
    registers,
  });
  const apiCalls = new Counter({
    name: 'flocker_backend_api_calls_total',
    help: 'Backend API operations (EC2 actions, Cinder and Nova requests), by the driver method they served.',
    labelNames: ['api', 'operation', 'method', 'outcome'] as const,
    registers,
  });
  const apiRetries = new Counter({
    name: 'flocker_backend_api_retries_total',
    help: 'Tries of backend API operations beyond the first.',
    labelNames: ['api', 'operation'] as const,
    registers,
  });
  const apiThrottles = new Counter({
    name: 'flocker_backend_api_throttles_total',
    help: 'Tries of backend API operations answered with a throttling reply (RequestLimitExceeded, HTTP 429).',
    labelNames: ['api', 'operation'] as const,
    registers,
  });
  const requestDuration = new Histogram({
    name: 'flocker_control_request_duration_seconds',
    help: 'Duration of control service requests, by method, route and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets,
    registers,
  });

  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: try GET /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(error)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return {
    url: `http://${host}:${port}/metrics`,
    registry,
    metrics: {
      driverCall(call) {
        driverDuration.observe({ backend: call.backend, method: call.method }, call.durationMs / 1000);
        driverCalls.inc({
          backend: call.backend,
          method: call.method,
          outcome: call.outcome,
          code: call.code ?? '',
        });
      },
      backendApiCall(call) {
        const operation = { api: call.api, operation: call.operation };
        apiCalls.inc({ ...operation, method: call.method ?? '', outcome: call.outcome });
        if (call.attempts > 1) apiRetries.inc(operation, call.attempts - 1);
        if (call.throttles > 0) apiThrottles.inc(operation, call.throttles);
      },
    },
    observeRequest(sample) {
      requestDuration.observe(
        { method: sample.method, route: sample.route, status: String(sample.status) },
        sample.durationMs / 1000,
      );
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
