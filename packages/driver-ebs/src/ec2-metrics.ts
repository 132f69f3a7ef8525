import type { EC2Client } from '@aws-sdk/client-ec2';
import type { Metrics } from '@flockerjs/core-interface';

/** EC2's throttling codes (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/throttling.html). */
export const EC2_THROTTLE_CODES: ReadonlySet<string> = new Set(['RequestLimitExceeded', 'Throttling']);

/** What the SDK leaves on a call's output or error: the retry middleware's count of tries. */
interface WithMetadata {
  readonly name?: unknown;
  readonly $metadata?: { readonly attempts?: number };
}

/** Per-call state the per-try middleware adds to, on the SDK's handler context (shared by every try). */
const THROTTLES = Symbol('flockerjs:throttles');
type CallContext = { [THROTTLES]?: number; readonly commandName?: string };

/**
 * Reports every EC2 action `client` sends to `metrics`: tries (the retry middleware's `$metadata.attempts`),
 * throttled tries, outcome and duration. One middleware wraps the whole call (before retries), another each try.
 */
export function meterEc2Client(
  client: EC2Client,
  metrics: Metrics,
  now: () => number = performance.now.bind(performance),
): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const call = context as CallContext;
      const operation = (call.commandName ?? 'Unknown').replace(/Command$/, '');
      const started = now();
      call[THROTTLES] = 0;
      const report = (result: WithMetadata | undefined, outcome: 'success' | 'error'): void =>
        metrics.backendApiCall({
          api: 'ec2',
          operation,
          attempts: result?.$metadata?.attempts ?? 1,
          throttles: call[THROTTLES] ?? 0,
          outcome,
          durationMs: now() - started,
        });
      try {
        const result = await next(args);
        report(result.output as WithMetadata, 'success');
        return result;
      } catch (error) {
        report(error as WithMetadata, 'error');
        throw error;
      }
    },
    { step: 'initialize', name: 'flockerjsMeterCall', priority: 'high' },
  );
  // After the retry middleware (finalizeRequest, high): sees each try's parsed error.
  client.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        const call = context as CallContext;
        const code = (error as WithMetadata).name;
        if (typeof code === 'string' && EC2_THROTTLE_CODES.has(code))
          call[THROTTLES] = (call[THROTTLES] ?? 0) + 1;
        throw error;
      }
    },
    { step: 'finalizeRequest', name: 'flockerjsMeterTry', priority: 'low' },
  );
}
