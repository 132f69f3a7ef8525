/**
 * Stable codes of the control service's refusals. The REST API sends them beside Flocker's `description` in
 * every error body, and the client's {@link ControlApiError} carries them: callers match on the code.
 */
export const CONTROL_ERROR_CODES = [
  'INVALID_REQUEST',
  'FORBIDDEN',
  'NOT_FOUND',
  'DATASET_NOT_FOUND',
  'DATASET_ID_IN_USE',
  'DATASET_DELETED',
  'DATASET_LEASED',
  'DATASET_SHRINK',
  'RESIZE_UNSUPPORTED',
  'UNKNOWN_NODE',
  'TAG_MISMATCH',
  'LEASE_HELD',
  'LEASE_NOT_FOUND',
  'ALREADY_OWNED',
  'INTERNAL',
  'CONTROL_UNREACHABLE',
] as const;
export type ControlErrorCode = (typeof CONTROL_ERROR_CODES)[number];

/**
 * A refusal with its HTTP status and Flocker's `description` text: thrown by the service, sent by the server,
 * and rebuilt by the client from the response.
 */
export class ControlApiError extends Error {
  readonly code: ControlErrorCode;
  readonly status: number;
  readonly description: string;
  /** Each validation problem as `key: message`, for `INVALID_REQUEST`. */
  readonly errors: readonly string[] | undefined;
  constructor(
    code: ControlErrorCode,
    status: number,
    description: string,
    options?: { errors?: readonly string[]; cause?: unknown },
  ) {
    const detail = options?.errors?.length ? `: ${options.errors.join('; ')}` : '';
    super(`${status} ${description}${detail}`, { cause: options?.cause });
    this.name = 'ControlApiError';
    this.code = code;
    this.status = status;
    this.description = description;
    this.errors = options?.errors;
  }
}

/** Flocker's text for a body that does not match the schema. */
export const SCHEMA_MISMATCH = "The provided JSON doesn't match the required schema.";

/** Flocker's text for a body that is not JSON. */
export const UNDECODABLE_BODY =
  'The request body could not be decoded according to the value of the Content-Type header.';

export function invalidRequest(errors: readonly string[]): ControlApiError {
  return new ControlApiError('INVALID_REQUEST', 400, SCHEMA_MISMATCH, { errors });
}
