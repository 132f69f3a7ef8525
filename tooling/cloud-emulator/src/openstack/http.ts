import type { IncomingMessage, ServerResponse } from 'node:http';

/** The largest request body accepted; real requests are a few hundred bytes. */
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * An error answered the way the OpenStack service answers it: Cinder and Nova wrap the message in an object
 * named after the fault (`itemNotFound`, `badRequest`, `conflictingRequest`, `overLimit`, `computeFault`),
 * Keystone and keystonemiddleware use `error` with a `title`.
 */
export class OpenStackError extends Error {
  readonly status: number;
  readonly fault: string;
  readonly headers: Readonly<Record<string, string>>;
  constructor(status: number, fault: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'OpenStackError';
    this.status = status;
    this.fault = fault;
    this.headers = headers;
  }

  body(): unknown {
    if (this.fault === 'error') {
      return { error: { code: this.status, title: TITLES[this.status] ?? 'Error', message: this.message } };
    }
    return { [this.fault]: { code: this.status, message: this.message } };
  }
}

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
};

export const notFound = (message: string): OpenStackError => new OpenStackError(404, 'itemNotFound', message);
export const badRequest = (message: string): OpenStackError => new OpenStackError(400, 'badRequest', message);
export const conflict = (message: string): OpenStackError =>
  new OpenStackError(409, 'conflictingRequest', message);
/** What keystonemiddleware answers for a missing, unknown or expired token (checked against real Cinder). */
export const unauthorized = (authUrl: string): OpenStackError =>
  new OpenStackError(401, 'error', 'The request you have made requires authentication.', {
    'www-authenticate': `Keystone uri="${authUrl}"`,
  });
/** Rate limiting, as a limiter in front of the API answers (429 with Retry-After in seconds). */
export const overLimit = (retryAfterSeconds: number): OpenStackError =>
  new OpenStackError(429, 'overLimit', 'This request was rate-limited.', {
    'retry-after': String(retryAfterSeconds),
  });
export const serverFault = (): OpenStackError =>
  new OpenStackError(
    500,
    'computeFault',
    'The server has either erred or is incapable of performing the requested operation.',
  );

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  response.writeHead(status, {
    ...(text === '' ? {} : { 'content-type': 'application/json' }),
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

export function sendError(response: ServerResponse, error: OpenStackError): void {
  sendJson(response, error.status, error.body(), error.headers);
}

/** The request body parsed as JSON; an empty body is `undefined`. */
export async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new OpenStackError(413, 'overLimit', 'Request is too large.');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw badRequest('Malformed request body');
  }
}

/** A plain object, or `undefined` for anything else. */
export function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** Cinder's timestamp format: ISO 8601 with microseconds and no zone. */
export function cinderTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}.000000`;
}
