import { BackendError } from '@flockerjs/core-interface';
import type { HttpResponse } from './http.js';

/** The longest `Retry-After` honoured; a longer one is cut to this so that every wait stays bounded. */
export const MAX_RETRY_AFTER_MS = 60_000;

/**
 * An OpenStack call that failed: `BACKEND`, with the HTTP status and the service's own message (Cinder and Nova
 * wrap it in `{ "<fault>": { "message": … } }`, Keystone in `{ "error": { "message": … } }`). It never quotes the
 * request, so no credential or token can reach a message or a log.
 */
export class OpenStackCallError extends BackendError {
  /** HTTP status, or `undefined` when no answer came. */
  readonly status: number | undefined;
  /** What the service said, or why no answer came. */
  readonly detail: string;
  /** From `Retry-After`, when the service sent one. */
  readonly retryAfterMs: number | undefined;
  /** `timeout` or `network` when the request got no answer. */
  readonly transport: 'timeout' | 'network' | undefined;
  /** An earlier try of the same call may have been applied (its answer was lost), so this answer may be to it. */
  readonly afterApplied: boolean;

  constructor(
    operation: string,
    details: {
      status?: number | undefined;
      detail: string;
      retryAfterMs?: number | undefined;
      transport?: 'timeout' | 'network' | undefined;
      afterApplied?: boolean;
    },
    options?: { cause?: unknown },
  ) {
    super(
      operation,
      details.status === undefined ? details.detail : `HTTP ${details.status}: ${details.detail}`,
      options,
    );
    this.name = 'OpenStackCallError';
    this.status = details.status;
    this.detail = details.detail;
    this.retryAfterMs = details.retryAfterMs;
    this.transport = details.transport;
    this.afterApplied = details.afterApplied ?? false;
  }

  /** The same failure, marked as the answer to a retry after a try that may have been applied. */
  afterAppliedTry(): OpenStackCallError {
    const { status, detail, retryAfterMs, transport } = this;
    return new OpenStackCallError(this.operation, {
      status,
      detail,
      retryAfterMs,
      transport,
      afterApplied: true,
    });
  }

  static from(
    operation: string,
    response: Pick<HttpResponse, 'status' | 'headers' | 'body'>,
  ): OpenStackCallError {
    return new OpenStackCallError(operation, {
      status: response.status,
      detail: faultMessage(response.body) ?? `unexpected answer`,
      retryAfterMs: retryAfterMs(response.headers['retry-after']),
    });
  }
}

/** The message inside an OpenStack error body, whichever fault name wraps it. */
export function faultMessage(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  for (const value of Object.values(body)) {
    const message = (value as { message?: unknown } | null)?.message;
    if (typeof message === 'string') return message;
  }
  return undefined;
}

/** `Retry-After` in milliseconds: delta-seconds or an HTTP date, capped at {@link MAX_RETRY_AFTER_MS}. */
export function retryAfterMs(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - now;
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}

/** Statuses worth another try of an idempotent request: throttling and server-side failures. */
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 500, 502, 503, 504]);

/** Whether another try of a request could succeed; a non-idempotent one only after a throttle (not applied). */
export function isRetryable(error: unknown, idempotent: boolean): boolean {
  if (!(error instanceof OpenStackCallError)) return false;
  if (error.status === 429) return true;
  if (!idempotent) return false;
  return (
    error.transport !== undefined || (error.status !== undefined && RETRYABLE_STATUSES.has(error.status))
  );
}

/** Whether the failure may have happened after the cloud applied the request (so a retry must look first). */
export function mayHaveApplied(error: unknown): boolean {
  return (
    error instanceof OpenStackCallError &&
    error.status !== 429 &&
    (error.transport !== undefined || (error.status !== undefined && error.status >= 500))
  );
}
