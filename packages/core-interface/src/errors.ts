import { inspect } from 'node:util';

/**
 * Every error a driver, the loader or a helper raises on purpose carries a stable `code`. Codes are API;
 * messages are not. Callers (and the conformance suite) match on `code`, never on `instanceof`, so two copies
 * of this package in one process still agree.
 */
export const ERROR_CODES = [
  'UNKNOWN_VOLUME',
  'ALREADY_ATTACHED',
  'UNATTACHED',
  'UNKNOWN_INSTANCE_ID',
  'DATASET_EXISTS',
  'INVALID_SIZE',
  'INVALID_ID',
  'INVALID_CONFIG',
  'PLUGIN_LOAD',
  'TIMEOUT',
  'BACKEND',
  'CERTIFICATE',
  'PEER_REFUSED',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Any value as message text; never throws (BigInt, cycles), since an error message must not fail. */
function show(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return inspect(value, { depth: 2, breakLength: Number.POSITIVE_INFINITY });
  }
}

export class FlockerError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FlockerError';
    this.code = code;
  }
}

/** True when `error` carries the given code, whichever copy of this package made it. */
export function hasCode(error: unknown, code: ErrorCode): error is FlockerError {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

export class UnknownVolumeError extends FlockerError {
  readonly blockDeviceId: string;
  constructor(blockDeviceId: string, options?: { cause?: unknown }) {
    super('UNKNOWN_VOLUME', `no volume with block device id ${show(blockDeviceId)}`, options);
    this.name = 'UnknownVolumeError';
    this.blockDeviceId = blockDeviceId;
  }
}

export class AlreadyAttachedError extends FlockerError {
  readonly blockDeviceId: string;
  readonly attachedTo: string | null;
  constructor(blockDeviceId: string, attachedTo: string | null) {
    const where = attachedTo === null ? '' : ` to ${show(attachedTo)}`;
    super('ALREADY_ATTACHED', `volume ${show(blockDeviceId)} is already attached${where}`);
    this.name = 'AlreadyAttachedError';
    this.blockDeviceId = blockDeviceId;
    this.attachedTo = attachedTo;
  }
}

export class UnattachedVolumeError extends FlockerError {
  readonly blockDeviceId: string;
  constructor(blockDeviceId: string, detail = 'is not attached') {
    super('UNATTACHED', `volume ${show(blockDeviceId)} ${detail}`);
    this.name = 'UnattachedVolumeError';
    this.blockDeviceId = blockDeviceId;
  }
}

export class UnknownInstanceIdError extends FlockerError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super('UNKNOWN_INSTANCE_ID', `could not determine this node's instance id: ${detail}`, options);
    this.name = 'UnknownInstanceIdError';
  }
}

export class DatasetExistsError extends FlockerError {
  readonly datasetId: string;
  readonly blockDeviceId: string;
  constructor(datasetId: string, blockDeviceId: string) {
    super('DATASET_EXISTS', `dataset ${datasetId} already has volume ${show(blockDeviceId)}`);
    this.name = 'DatasetExistsError';
    this.datasetId = datasetId;
    this.blockDeviceId = blockDeviceId;
  }
}

export class InvalidSizeError extends FlockerError {
  readonly size: unknown;
  constructor(size: unknown, reason: string) {
    super('INVALID_SIZE', `invalid volume size ${String(size)}: ${reason}`);
    this.name = 'InvalidSizeError';
    this.size = size;
  }
}

export class InvalidIdError extends FlockerError {
  readonly kind: string;
  readonly value: unknown;
  constructor(kind: string, value: unknown, expected: string) {
    super('INVALID_ID', `invalid ${kind} ${show(value)}: expected ${expected}`);
    this.name = 'InvalidIdError';
    this.kind = kind;
    this.value = value;
  }
}

export class InvalidConfigError extends FlockerError {
  /** Each problem as `path.to.key: message`. */
  readonly problems: readonly string[];
  constructor(problems: readonly string[], source?: string) {
    const where = source === undefined ? 'invalid configuration' : `invalid configuration in ${source}`;
    super('INVALID_CONFIG', `${where}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'InvalidConfigError';
    this.problems = Object.freeze([...problems]);
  }
}

export class PluginLoadError extends FlockerError {
  readonly specifier: string;
  constructor(specifier: string, detail: string, options?: { cause?: unknown }) {
    super('PLUGIN_LOAD', `backend ${show(specifier)}: ${detail}`, options);
    this.name = 'PluginLoadError';
    this.specifier = specifier;
  }
}

export class TimeoutError extends FlockerError {
  readonly what: string;
  readonly lastState: unknown;
  readonly timeoutMs: number;
  constructor(what: string, timeoutMs: number, lastState: unknown) {
    const seen = lastState === undefined ? 'nothing observed' : `last state ${show(lastState)}`;
    super('TIMEOUT', `timed out after ${timeoutMs} ms waiting for ${what} (${seen})`);
    this.name = 'TimeoutError';
    this.what = what;
    this.lastState = lastState;
    this.timeoutMs = timeoutMs;
  }
}

export class BackendError extends FlockerError {
  readonly operation: string;
  constructor(operation: string, detail: string, options?: { cause?: unknown }) {
    super('BACKEND', `${operation} failed: ${detail}`, options);
    this.name = 'BackendError';
    this.operation = operation;
  }
}

/** Certificate material that cannot be used: a missing or unreadable file, a file that must not be overwritten. */
export class CertificateError extends FlockerError {
  /** The file concerned, when there is one. */
  readonly path: string | undefined;
  constructor(path: string | undefined, detail: string, options?: { cause?: unknown }) {
    super('CERTIFICATE', path === undefined ? detail : `${path}: ${detail}`, options);
    this.name = 'CertificateError';
    this.path = path;
  }
}

/** A TLS peer whose verified certificate does not identify a party allowed here (wrong kind, other cluster). */
export class PeerRefusedError extends FlockerError {
  /** The peer's certificate subject CN, or undefined when it presented none. */
  readonly peer: string | undefined;
  constructor(peer: string | undefined, reason: string) {
    super(
      'PEER_REFUSED',
      `TLS peer ${peer === undefined ? '(no certificate)' : show(peer)} refused: ${reason}`,
    );
    this.name = 'PeerRefusedError';
    this.peer = peer;
  }
}
