import { EC2Client } from '@aws-sdk/client-ec2';
import type { CloudEmulator } from '../src/index.js';

// The real SDK, as drivers use it; the warning about Node 20 is about future releases, not this pin.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** An SDK client on the emulator, with no retries unless asked: each test sees exactly what EC2 answered. */
export function ec2Client(
  emulator: CloudEmulator,
  options: { maxAttempts?: number; retryMode?: string } = {},
): EC2Client {
  return new EC2Client({
    region: emulator.region,
    endpoint: emulator.url,
    credentials: { accessKeyId: 'AKIAEMULATOR00000000', secretAccessKey: 'emulator-secret' },
    maxAttempts: options.maxAttempts ?? 1,
    ...(options.retryMode === undefined ? {} : { retryMode: options.retryMode }),
  });
}

/** The rejection of `promise` as EC2 reported it: code and HTTP status. */
export async function ec2Failure(
  promise: Promise<unknown>,
): Promise<{ code: string; status: number | undefined }> {
  const error = await promise.then(
    () => undefined,
    (rejected: unknown) => rejected as { name: string; $metadata?: { httpStatusCode?: number } },
  );
  if (error === undefined) throw new Error('expected the call to fail');
  return { code: error.name, status: error.$metadata?.httpStatusCode };
}

export const isRoot = process.getuid?.() === 0;
