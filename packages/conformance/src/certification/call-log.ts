import { appendFileSync } from 'node:fs';
import type { BackendApiCall, DriverCall, Metrics } from '@flockerjs/core-interface';

/** One line of the call log: a driver contract call or a backend API call, as the loader reported it. */
export type LoggedCall = ({ readonly kind: 'driver' } & DriverCall) | ({ readonly kind: 'backend-api' } & BackendApiCall);

/**
 * Metrics that append every call to `file` as a JSON line, for the command to tabulate after the run. Written
 * at once, so the calls of a test that crashed the worker are still counted.
 */
export function callLog(file: string): Metrics {
  const append = (call: LoggedCall): void => appendFileSync(file, `${JSON.stringify(call)}\n`);
  return {
    driverCall: (call) => append({ kind: 'driver', ...call }),
    backendApiCall: (call) => append({ kind: 'backend-api', ...call }),
  };
}
