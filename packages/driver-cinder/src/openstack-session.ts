import { EventEmitter } from 'node:events';
import type { Clock, Logger, Metrics } from '@flockerjs/core-interface';
import pkgcloud, {
  type BlockStorageClient,
  type ComputeClient,
  type IdentityLike,
  type OpenStackClient,
  type PkgcloudError,
} from 'pkgcloud';
import type { CinderConfig } from './config.js';
import { type HttpResponse, type HttpSend, type TlsOptions, TransportError } from './http.js';
import { endpointUrl, KeystoneAuth, VOLUME_SERVICE_TYPES } from './keystone.js';
import { isRetryable, mayHaveApplied, OpenStackCallError, retryAfterMs } from './openstack-error.js';

/** Tries of one request, the first included, before its error is thrown (EBS CSI's SDK default is 3; clouds under load need more). */
export const MAX_ATTEMPTS = 6;
/** First backoff between tries, doubled each time up to {@link MAX_BACKOFF_MS}, then jittered by half. */
export const BASE_BACKOFF_MS = 200;
export const MAX_BACKOFF_MS = 5_000;
/**
 * How long a throttled request (429) keeps being tried past {@link MAX_ATTEMPTS}, from its first try. A 429 was
 * not applied, so another try is always safe; a burst of a hundred attaches under a limit of a few per second
 * needs tens of seconds, far more than six tries.
 */
export const THROTTLED_RETRY_MS = 120_000;
/** pkgcloud renews its token this long before expiry (its default is 5 min, longer than some clouds' tokens). */
const PKGCLOUD_EARLY_TOKEN_MS = 60_000;

export type Service = 'volume' | 'compute';

export interface ApiRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path below the service's endpoint, e.g. `/volumes/detail`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | undefined>>;
  readonly body?: unknown;
  /** Extra headers, e.g. `OpenStack-API-Version` for a microversion. */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface SessionDeps {
  readonly send: HttpSend;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Where each call's tries and throttled (429) tries are counted. @default nowhere */
  readonly metrics?: Metrics | undefined;
  readonly random?: () => number;
}

/** The requests pkgcloud makes for our pkgcloud calls, as metric labels (our own requests show their path). */
const PKGCLOUD_REQUESTS: Readonly<Record<string, string>> = {
  'cinder:get-volume': 'GET /volumes/{id}',
  'cinder:delete-volume': 'DELETE /volumes/{id}',
  'nova:attach-volume': 'POST /servers/{id}/os-volume_attachments',
  'nova:detach-volume': 'DELETE /servers/{id}/os-volume_attachments/{id}',
};

/** A request path as a metric label: every id-like segment (a UUID, hex or a number) becomes `{id}`. */
export function pathTemplate(path: string): string {
  return path
    .split('/')
    .map((segment) => (/^([0-9a-f]{8}-[0-9a-f-]{27}|[0-9a-f]{16,}|\d+)$/i.test(segment) ? '{id}' : segment))
    .join('/');
}

/**
 * The connection to one cloud: one Keystone token shared by pkgcloud's Cinder and Nova clients and by our own
 * requests, with a timeout on every request, retries with backoff on throttling and server errors (honouring
 * `Retry-After`), and a new token after a 401. Every failure is an {@link OpenStackCallError}.
 */
export class OpenStackSession {
  readonly blockstorage: BlockStorageClient;
  readonly compute: ComputeClient;
  readonly #config: CinderConfig;
  readonly #deps: SessionDeps;
  readonly #auth: KeystoneAuth;
  readonly #tls: TlsOptions;

  constructor(config: CinderConfig, tls: TlsOptions, deps: SessionDeps) {
    this.#config = config;
    this.#deps = deps;
    this.#tls = tls;
    this.#auth = new KeystoneAuth(config, deps.send, tls, () => deps.clock.now());
    const identity = sharedIdentity(this.#auth, config);
    const options = {
      provider: 'openstack',
      authUrl: KeystoneAuth.baseUrl(config.auth_url),
      region: config.region,
      keystoneAuthVersion: 'v3',
      identity,
      earlyTokenTimeout: PKGCLOUD_EARLY_TOKEN_MS,
      strictSSL: config.verify_peer,
    } as const;
    this.blockstorage = configure(pkgcloud.blockstorage.createClient(options), config, tls);
    // pkgcloud looks up the legacy `volume` type; ask for v3 (the identity falls back through every name).
    this.blockstorage.serviceType = 'volumev3';
    this.compute = configure(pkgcloud.compute.createClient(options), config, tls);
  }

  /** The project the token is scoped to. */
  async projectId(): Promise<string> {
    return (await this.#auth.token()).projectId;
  }

  /** One of our own typed requests; the answer's status is 2xx, anything else is thrown. */
  async request(
    operation: string,
    service: Service,
    request: ApiRequest,
    idempotent: boolean,
  ): Promise<HttpResponse> {
    const label = `${request.method} ${pathTemplate(request.path)}`;
    return this.#call(
      operation,
      label,
      { method: request.method, path: request.path },
      idempotent,
      async () => {
        const token = await this.#auth.token();
        const types = service === 'volume' ? VOLUME_SERVICE_TYPES : ['compute'];
        const base = endpointUrl(token.catalog, types, this.#config.region, this.#config.interface);
        const query = new URLSearchParams(
          Object.entries(request.query ?? {}).flatMap(([key, value]) =>
            value === undefined ? [] : [[key, value] as [string, string]],
          ),
        ).toString();
        let response: HttpResponse;
        try {
          response = await this.#deps.send({
            method: request.method,
            url: `${base}${request.path}${query === '' ? '' : `?${query}`}`,
            headers: { ...request.headers, 'x-auth-token': token.id },
            body: request.body,
            timeoutMs: this.#config.timeouts.request_ms,
            tls: this.#tls,
          });
        } catch (error) {
          throw transportFailure(operation, error);
        }
        if (response.status === 401) this.#reauthenticate(token.id);
        if (response.status < 200 || response.status >= 300)
          throw OpenStackCallError.from(operation, response);
        return response;
      },
    );
  }

  /** A pkgcloud call, with the same timeout, retries and re-authentication as our own requests. */
  async pkgcloud<T>(
    operation: string,
    client: OpenStackClient,
    idempotent: boolean,
    call: (callback: (error: PkgcloudError | null, result?: T) => void) => unknown,
  ): Promise<T> {
    const label = PKGCLOUD_REQUESTS[operation] ?? operation;
    return this.#call(operation, label, { via: 'pkgcloud' }, idempotent, async () => {
      const tokenId = client._identity.token?.id;
      try {
        return await new Promise<T>((resolve, reject) => {
          call((error, result) => (error ? reject(error) : resolve(result as T)));
        });
      } catch (error) {
        const failure = fromPkgcloud(operation, error);
        if (failure.status === 401 && tokenId !== undefined) this.#reauthenticate(tokenId);
        throw failure;
      }
    });
  }

  // --- internals ---

  #reauthenticate(tokenId: string): void {
    this.#auth.invalidate(tokenId);
    // pkgcloud re-authenticates only when it believes its token is about to expire: make it believe so.
    this.blockstorage._serviceUrl = null;
    this.compute._serviceUrl = null;
  }

  /** One call with its retries, logged as an action and counted under `label` (`GET /volumes/{id}`). */
  async #call<T>(
    operation: string,
    label: string,
    fields: Readonly<Record<string, unknown>>,
    idempotent: boolean,
    attempt: () => Promise<T>,
  ): Promise<T> {
    return this.#deps.logger.action(`openstack:${operation}`, fields, async () => {
      let reauthenticated = false;
      let earlierApplied = false;
      let throttles = 0;
      const started = this.#deps.clock.now();
      const count = (tries: number, outcome: 'success' | 'error'): void =>
        this.#deps.metrics?.backendApiCall({
          api: operation.split(':')[0] ?? 'openstack',
          operation: label,
          attempts: tries,
          throttles,
          outcome,
          durationMs: this.#deps.clock.now() - started,
        });
      for (let tries = 1; ; tries += 1) {
        try {
          const result = await attempt();
          count(tries, 'success');
          return result;
        } catch (error) {
          if (error instanceof OpenStackCallError && error.status === 429) throttles += 1;
          // One new token per call: a 401 after a fresh token is a real refusal (wrong role, wrong project).
          const unauthorized =
            error instanceof OpenStackCallError && error.status === 401 && !reauthenticated;
          if (unauthorized) reauthenticated = true;
          const throttled =
            error instanceof OpenStackCallError &&
            error.status === 429 &&
            this.#deps.clock.now() - started < THROTTLED_RETRY_MS;
          const spent = tries >= MAX_ATTEMPTS && !throttled;
          if (!unauthorized && (spent || !isRetryable(error, idempotent))) {
            count(tries, 'error');
            // A 404 to a retried DELETE may only say that the first try went through.
            throw earlierApplied && error instanceof OpenStackCallError ? error.afterAppliedTry() : error;
          }
          earlierApplied ||= mayHaveApplied(error);
          const delay = unauthorized ? 0 : this.#backoff(tries, error);
          this.#deps.logger.message(
            `openstack:${operation}:retry`,
            { try: tries, delay_ms: delay, reason: (error as Error).message },
            'warn',
          );
          if (delay > 0) await this.#deps.clock.sleep(delay);
        }
      }
    });
  }

  #backoff(tries: number, error: unknown): number {
    const random = this.#deps.random ?? Math.random;
    const hinted = error instanceof OpenStackCallError ? error.retryAfterMs : undefined;
    // A limiter that says when to come back is believed, with a little jitter so that the callers it turned
    // away do not all return at once: backing off further only leaves its refilled tokens unused.
    if (hinted !== undefined && hinted > 0) return Math.round(hinted + random() * BASE_BACKOFF_MS);
    // Without a hint (or with a "0" from a busy limiter, which must not turn the tries into a burst): exponential.
    const ceiling = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** (tries - 1));
    return Math.round(ceiling * (0.5 + random() / 2));
  }
}

/**
 * pkgcloud's identity seam (`options.identity`): each client gets one of these, and all of them take the token
 * and catalog from one {@link KeystoneAuth}.
 */
function sharedIdentity(auth: KeystoneAuth, config: CinderConfig): new () => IdentityLike {
  return class SharedIdentity extends EventEmitter implements IdentityLike {
    token: { id: string; expires: Date } | undefined;
    #catalog: Awaited<ReturnType<KeystoneAuth['token']>>['catalog'] = [];

    authorize(options: unknown, callback?: (error?: unknown) => void): void {
      const done = typeof options === 'function' ? (options as (error?: unknown) => void) : callback;
      auth.token().then(
        (token) => {
          this.token = { id: token.id, expires: token.expiresAt };
          this.#catalog = token.catalog;
          done?.();
        },
        (error: unknown) => done?.(error),
      );
    }

    getServiceEndpointUrl(options: { serviceType: string }): string {
      const types = (VOLUME_SERVICE_TYPES as readonly string[]).includes(options.serviceType)
        ? VOLUME_SERVICE_TYPES
        : [options.serviceType];
      return endpointUrl(this.#catalog, types, config.region, config.interface);
    }
  };
}

/** Makes a pkgcloud client fail on every non-2xx answer, time out, and use our TLS settings without keep-alive. */
function configure<T extends OpenStackClient>(client: T, config: CinderConfig, tls: TlsOptions): T {
  // pkgcloud counts 429, 502 and 504 as success (a throttled GET returns an empty volume); not here.
  client.failCodes = {
    ...client.failCodes,
    405: 'Bad Method',
    429: 'Too Many Requests',
    502: 'Bad Gateway',
    504: 'Gateway Timeout',
  };
  client.before.push((options) => {
    options.timeout = config.timeouts.request_ms;
    options.strictSSL = tls.verify;
    // A custom agent per request: no keep-alive (uwsgi resets reused connections), and our CA.
    options.agentOptions = {
      keepAlive: false,
      ...(tls.ca === undefined ? {} : { ca: tls.ca }),
      rejectUnauthorized: tls.verify,
    };
    options.headers.connection = 'close';
    return options;
  });
  return client;
}

function transportFailure(operation: string, error: unknown): unknown {
  if (error instanceof TransportError) {
    return new OpenStackCallError(
      operation,
      { detail: error.message, transport: error.kind },
      { cause: error },
    );
  }
  return error;
}

/** pkgcloud's error (a failCodes status, or `request`'s network error) as an {@link OpenStackCallError}. */
function fromPkgcloud(operation: string, error: unknown): OpenStackCallError {
  if (error instanceof OpenStackCallError) return error;
  const failure = error as PkgcloudError;
  if (typeof failure?.statusCode === 'number') {
    return OpenStackCallError.from(operation, {
      status: failure.statusCode,
      headers: { 'retry-after': headerValue(failure.headers?.['retry-after']) },
      body: failure.result,
    });
  }
  const code = failure?.code;
  const timeout = code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT';
  return new OpenStackCallError(operation, {
    detail: `${code ?? 'error'}: ${failure?.message ?? String(error)}`,
    transport: timeout ? 'timeout' : 'network',
  });
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export { retryAfterMs };
