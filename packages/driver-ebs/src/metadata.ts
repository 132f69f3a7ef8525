import { MetadataService } from '@aws-sdk/ec2-metadata-service';
import { UnknownInstanceIdError } from '@flockerjs/core-interface';

/** What the driver needs to know about the instance it runs on. */
export interface InstanceMetadata {
  instanceId(): Promise<string>;
  availabilityZone(): Promise<string>;
}

/** Per request to IMDS; it answers in milliseconds on a healthy instance. */
export const IMDS_TIMEOUT_MS = 2_000;
/** Retries per IMDS request, as the SDK's default. */
export const IMDS_RETRIES = 3;
const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;

/**
 * Instance metadata over IMDSv2 only (a session token first, no IMDSv1 fallback), through the SDK's
 * `@aws-sdk/ec2-metadata-service`. Values are read once: neither changes while the instance lives.
 */
export function imdsMetadata(endpoint: string): InstanceMetadata {
  const service = new MetadataService({
    // The service appends request paths to the URL's path ("/"), so it gets the origin and relative paths.
    endpoint: new URL(endpoint).origin,
    ec2MetadataV1Disabled: true,
    httpOptions: { timeout: IMDS_TIMEOUT_MS },
    retries: IMDS_RETRIES,
    backoff: 0.1,
  });
  const read = (path: string) => service.request(`latest/meta-data/${path}`, {});
  let instanceId: Promise<string> | undefined;
  let zone: Promise<string> | undefined;
  return {
    instanceId() {
      instanceId ??= read('instance-id').then(
        (id) => {
          if (!INSTANCE_ID.test(id.trim()))
            throw new UnknownInstanceIdError(`IMDS at ${endpoint} answered ${JSON.stringify(id)}`);
          return id.trim();
        },
        (error: unknown) => {
          instanceId = undefined;
          throw new UnknownInstanceIdError(`IMDS at ${endpoint}: ${(error as Error).message}`, {
            cause: error,
          });
        },
      );
      return instanceId;
    },
    availabilityZone() {
      zone ??= read('placement/availability-zone').then(
        (value) => value.trim(),
        (error: unknown) => {
          zone = undefined;
          throw new UnknownInstanceIdError(
            `availability zone from IMDS at ${endpoint}: ${(error as Error).message}`,
            {
              cause: error,
            },
          );
        },
      );
      return zone;
    },
  };
}
