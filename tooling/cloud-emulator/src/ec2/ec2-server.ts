import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Fabric } from '../fabric/fabric.js';
import { UNFILTERED_SUFFIX } from '../fabric/rate-limits.js';
import { ACTIONS } from './actions.js';
import { ClientTokens } from './client-tokens.js';
import { Ec2Error, internalError, requestLimitExceeded } from './ec2-error.js';
import { QueryParams } from './query.js';
import { escapeXml, renderXml } from './xml.js';

/** The API version the SDK sends and the namespace of every reply. */
export const EC2_XMLNS = 'http://ec2.amazonaws.com/doc/2016-11-15/';
/** Actions that draw from EC2's smaller bucket when asked with neither a filter nor pagination. */
const UNFILTERED_BUCKET_ACTIONS: ReadonlySet<string> = new Set(['DescribeVolumes', 'DescribeInstances']);
/** The largest request body accepted; real requests are a few KiB. */
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * The EC2 Query API front end: a form-encoded POST per call, an XML reply, errors with EC2's codes and HTTP
 * statuses. Request signatures are accepted, not verified. Faults are decided per call before it runs.
 */
export class Ec2FrontEnd {
  readonly #fabric: Fabric;
  readonly #tokens: ClientTokens;
  /** Calls received per action, throttled and failed ones included. */
  readonly calls: Map<string, number> = new Map();
  readonly #listeners = new Set<(action: string, params: QueryParams) => void>();

  constructor(fabric: Fabric, tokens: ClientTokens = new ClientTokens()) {
    this.#fabric = fabric;
    this.#tokens = tokens;
  }

  /** Total calls of `action` received so far. */
  count(action: string): number {
    return this.calls.get(action) ?? 0;
  }

  /** Calls `listener` with every request's action and parameters as it arrives (a test counting ids per call). */
  onRequest(listener: (action: string, params: QueryParams) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  readonly handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    let action = 'unknown';
    try {
      const body = await readBody(request);
      const params = new QueryParams(body === '' ? (request.url?.split('?')[1] ?? '') : body);
      action = params.action ?? 'unknown';
      this.calls.set(action, this.count(action) + 1);
      for (const listener of this.#listeners) listener(action, params);
      const handler = ACTIONS[action];
      if (handler === undefined) {
        throw new Ec2Error('InvalidAction', `The action ${action} is not valid for this web service.`);
      }
      const latency = this.#fabric.faults.latencyMs(action);
      if (latency > 0) await sleep(latency);
      const verdict = this.#fabric.faults.verdict(action, bucketOf(action, params));
      if (verdict === 'throttle') throw requestLimitExceeded();
      if (verdict === 'fail-before') throw internalError();
      const result = handler(params, { fabric: this.#fabric, tokens: this.#tokens });
      if (verdict === 'fail-after') throw internalError();
      send(
        response,
        200,
        `<${action}Response xmlns="${EC2_XMLNS}"><requestId>${requestId}</requestId>${renderXml(result)}</${action}Response>`,
        requestId,
      );
    } catch (error) {
      const ec2 = error instanceof Ec2Error ? error : internalError();
      send(
        response,
        ec2.status,
        `<Response><Errors><Error><Code>${escapeXml(ec2.code)}</Code><Message>${escapeXml(ec2.message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
        requestId,
      );
    }
  };
}

/** The rate-limit bucket a call draws from: EC2's smaller one for an unfiltered, unpaginated describe. */
function bucketOf(action: string, params: QueryParams): string {
  const unfiltered =
    params.filters().length === 0 &&
    params.string('MaxResults') === undefined &&
    params.string('NextToken') === undefined;
  return UNFILTERED_BUCKET_ACTIONS.has(action) && unfiltered ? `${action}${UNFILTERED_SUFFIX}` : action;
}

function send(response: ServerResponse, status: number, xml: string, requestId: string): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`;
  response.writeHead(status, {
    'content-type': 'text/xml;charset=UTF-8',
    'x-amzn-requestid': requestId,
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new Ec2Error('RequestEntityTooLarge', 'The request body is too large.', 413);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
