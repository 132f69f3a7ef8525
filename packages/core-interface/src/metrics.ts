import { AsyncLocalStorage } from 'node:async_hooks';
import { aroundContractCalls, type IBlockDeviceAPI } from './driver.js';
import { ERROR_CODES } from './errors.js';

/** How a call ended. */
export const CALL_OUTCOMES = ['success', 'error'] as const;
export type CallOutcome = (typeof CALL_OUTCOMES)[number];

/** The error label of a failure whose error carries none of the {@link ERROR_CODES}. */
export const UNCODED = 'UNCODED';

/** One contract call of a driver, as the loader's wrapper saw it. */
export interface DriverCall {
  /** The backend's name (`FLOCKER_BACKEND.name`). */
  readonly backend: string;
  /** The contract member, e.g. `createVolume`. */
  readonly method: string;
  readonly durationMs: number;
  readonly outcome: CallOutcome;
  /** On failure: the error's `code` when it is one of {@link ERROR_CODES}, else {@link UNCODED}. */
  readonly code?: string | undefined;
}

/** One backend API operation, as a driver's cloud client made it: all its tries, retries included. */
export interface BackendApiCall {
  /** Which API: `ec2`, `cinder`, `nova`. */
  readonly api: string;
  /** The EC2 action (`DescribeVolumes`), or an HTTP request as method and path template (`GET /volumes/{id}`). */
  readonly operation: string;
  /** Tries made, the first included: retries are `attempts - 1`. */
  readonly attempts: number;
  /** Tries answered with a throttling reply (`RequestLimitExceeded`, HTTP 429). */
  readonly throttles: number;
  readonly outcome: CallOutcome;
  readonly durationMs: number;
  /** The contract member during which the call was made; the loader fills it in. */
  readonly method?: string | undefined;
}

/**
 * Where calls are counted. This small seam is all a driver package depends on: the agent backs it with
 * Prometheus metrics, `flocker-certify` with its per-method table, and without either nothing is counted.
 */
export interface Metrics {
  driverCall(call: DriverCall): void;
  backendApiCall(call: BackendApiCall): void;
}

/** Counts nothing. */
export const noMetrics: Metrics = { driverCall: () => {}, backendApiCall: () => {} };

/** The contract member being run, set by {@link meterApi}'s wrapper, for {@link attributeToMethod}. */
const currentMethod = new AsyncLocalStorage<string>();

/**
 * `metrics` with each backend API call labelled with the contract member during which it was made: what the
 * loader hands a driver, so that a driver reports its cloud calls without knowing which member it is in.
 */
export function attributeToMethod(metrics: Metrics): Metrics {
  return {
    driverCall: (call) => metrics.driverCall(call),
    backendApiCall: (call) =>
      metrics.backendApiCall({ ...call, method: call.method ?? currentMethod.getStore() }),
  };
}

/** The error label of `error`: its `code` if that is one of {@link ERROR_CODES}, else {@link UNCODED}. */
export function errorCodeLabel(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (ERROR_CODES as readonly string[]).includes(code) ? code : UNCODED;
}

/**
 * Wraps a driver so that each contract call is reported to `metrics` with its duration and outcome, and runs
 * where {@link attributeToMethod} can see which member it is.
 */
export function meterApi<T extends IBlockDeviceAPI>(
  api: T,
  metrics: Metrics,
  backend: string,
  now: () => number = performance.now.bind(performance),
): T {
  return aroundContractCalls(api, (method, _args, call) =>
    currentMethod.run(method, async () => {
      const started = now();
      try {
        const result = await call();
        metrics.driverCall({ backend, method, durationMs: now() - started, outcome: 'success' });
        return result;
      } catch (error) {
        const code = errorCodeLabel(error);
        metrics.driverCall({ backend, method, durationMs: now() - started, outcome: 'error', code });
        throw error;
      }
    }),
  );
}
