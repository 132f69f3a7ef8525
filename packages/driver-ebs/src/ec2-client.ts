import {
  AttachVolumeCommand,
  CreateVolumeCommand,
  DeleteVolumeCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  DetachVolumeCommand,
  EC2Client,
  type Instance,
  type Volume,
} from '@aws-sdk/client-ec2';
import { BackendError, type Logger, UnknownVolumeError } from '@flockerjs/core-interface';

/** A volume as the driver needs it from DescribeVolumes. */
export interface Ec2Volume {
  readonly id: string;
  readonly sizeGiB: number;
  readonly zone: string;
  /** `creating`, `available`, `in-use`, `deleting`, `deleted` or `error`. */
  readonly state: string;
  readonly volumeType: string;
  readonly iops: number | undefined;
  readonly tags: Readonly<Record<string, string>>;
  readonly attachments: readonly Ec2Attachment[];
}

export interface Ec2Attachment {
  readonly instanceId: string;
  /** The requested device name, `/dev/sdf`. */
  readonly device: string;
  /** `attaching`, `attached`, `detaching`, `detached` or `busy`. */
  readonly state: string;
}

export interface Ec2Instance {
  readonly id: string;
  readonly zone: string;
  readonly state: string;
  /** Device names of every block-device mapping, the root included. */
  readonly devices: readonly string[];
}

export interface Ec2Filter {
  readonly name: string;
  readonly values: readonly string[];
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextToken: string | undefined;
}

export interface CreateVolumeInput {
  readonly zone: string;
  readonly sizeGiB: number;
  readonly volumeType: string;
  readonly iops: number | undefined;
  readonly tags: Readonly<Record<string, string>>;
  readonly clientToken: string;
}

/**
 * Exactly the EC2 calls the driver makes. Every method rejects with a core error: `UNKNOWN_VOLUME` for a
 * volume EC2 does not know (or an id it cannot parse), else {@link Ec2CallError} (`BACKEND`) with EC2's code.
 */
export interface Ec2Api {
  createVolume(input: CreateVolumeInput): Promise<Ec2Volume>;
  deleteVolume(volumeId: string): Promise<void>;
  describeVolume(volumeId: string): Promise<Ec2Volume>;
  describeVolumes(
    filters: readonly Ec2Filter[],
    maxResults: number,
    nextToken?: string,
  ): Promise<Page<Ec2Volume>>;
  attachVolume(volumeId: string, instanceId: string, device: string): Promise<void>;
  detachVolume(volumeId: string, options?: { readonly force?: boolean }): Promise<void>;
  describeInstance(instanceId: string): Promise<Ec2Instance>;
  describeInstances(
    filters: readonly Ec2Filter[],
    maxResults: number,
    nextToken?: string,
  ): Promise<Page<Ec2Instance>>;
}

/** An EC2 call that failed for a reason other than an unknown volume; `ec2Code` is EC2's error code. */
export class Ec2CallError extends BackendError {
  readonly ec2Code: string;
  readonly httpStatus: number | undefined;
  readonly requestId: string | undefined;
  readonly ids: readonly string[];
  constructor(
    operation: string,
    details: {
      ec2Code: string;
      message: string;
      httpStatus?: number | undefined;
      requestId?: string | undefined;
      ids: readonly string[];
    },
    options?: { cause?: unknown },
  ) {
    const request = details.requestId === undefined ? '' : ` (request ${details.requestId})`;
    super(operation, `${details.ids.join(' ')}: ${details.ec2Code}: ${details.message}${request}`, options);
    this.name = 'Ec2CallError';
    this.ec2Code = details.ec2Code;
    this.httpStatus = details.httpStatus;
    this.requestId = details.requestId;
    this.ids = details.ids;
  }
}

/** EC2 codes that mean "try again later": throttling and server errors that outlived the SDK's retries. */
export const TRANSIENT_EC2_CODES: ReadonlySet<string> = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'InternalError',
  'ServerInternal',
  'Unavailable',
  'ServiceUnavailable',
]);

/** True for an error worth polling through: throttling, 5xx, a network failure. */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof Ec2CallError)) return false;
  return (
    TRANSIENT_EC2_CODES.has(error.ec2Code) || (error.httpStatus ?? 0) >= 500 || error.httpStatus === undefined
  );
}

export interface SdkEc2Options {
  readonly region: string;
  readonly endpoint?: string | undefined;
  /** Static credentials; without them the SDK's default chain is used. */
  readonly credentials?:
    | {
        readonly accessKeyId: string;
        readonly secretAccessKey: string;
        readonly sessionToken?: string | undefined;
      }
    | undefined;
  readonly maxAttempts: number;
  readonly logger: Logger;
  /** Logged-as name of the driver. */
  readonly driverName: string;
}

/** The default {@link Ec2Api}: the AWS SDK v3 with adaptive retry, each call logged as an action. */
export function createSdkEc2Api(options: SdkEc2Options): Ec2Api {
  const client = new EC2Client({
    region: options.region,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.credentials === undefined ? {} : { credentials: { ...options.credentials } }),
    maxAttempts: options.maxAttempts,
    // Adaptive retry adds client-side rate limiting on top of backoff, which is what EC2's token buckets want.
    retryMode: 'adaptive',
  });
  // Messages from EC2 never carry the secret key, but a signature error may quote the access key id.
  const secrets = [
    options.credentials?.accessKeyId,
    options.credentials?.secretAccessKey,
    options.credentials?.sessionToken,
  ].filter((value): value is string => value !== undefined);
  const call = async <T>(
    operation: string,
    input: object,
    ids: readonly string[],
    send: () => Promise<T>,
  ): Promise<T> =>
    options.logger.action(`${options.driverName}:ec2:${operation}`, { input }, async () => {
      try {
        return await send();
      } catch (error) {
        throw translate(operation, error, ids, secrets);
      }
    });

  return {
    async createVolume(input) {
      const request = {
        AvailabilityZone: input.zone,
        Size: input.sizeGiB,
        VolumeType: input.volumeType as Volume['VolumeType'],
        ...(input.iops === undefined ? {} : { Iops: input.iops }),
        ClientToken: input.clientToken,
        TagSpecifications: [
          {
            ResourceType: 'volume' as const,
            Tags: Object.entries(input.tags).map(([Key, Value]) => ({ Key, Value })),
          },
        ],
      };
      const output = await call('CreateVolume', request, [], () =>
        client.send(new CreateVolumeCommand(request)),
      );
      return toVolume(output);
    },
    async deleteVolume(volumeId) {
      await call('DeleteVolume', { VolumeId: volumeId }, [volumeId], () =>
        client.send(new DeleteVolumeCommand({ VolumeId: volumeId })),
      );
    },
    async describeVolume(volumeId) {
      const output = await call('DescribeVolumes', { VolumeIds: [volumeId] }, [volumeId], () =>
        client.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] })),
      );
      const volume = output.Volumes?.find((candidate) => candidate.VolumeId === volumeId);
      if (volume === undefined) throw new UnknownVolumeError(volumeId);
      return toVolume(volume);
    },
    async describeVolumes(filters, maxResults, nextToken) {
      const request = {
        Filters: toFilters(filters),
        MaxResults: maxResults,
        ...(nextToken === undefined ? {} : { NextToken: nextToken }),
      };
      const output = await call('DescribeVolumes', request, [], () =>
        client.send(new DescribeVolumesCommand(request)),
      );
      return { items: (output.Volumes ?? []).map(toVolume), nextToken: output.NextToken || undefined };
    },
    async attachVolume(volumeId, instanceId, device) {
      const request = { VolumeId: volumeId, InstanceId: instanceId, Device: device };
      await call('AttachVolume', request, [volumeId, instanceId, device], () =>
        client.send(new AttachVolumeCommand(request)),
      );
    },
    async detachVolume(volumeId, detachOptions = {}) {
      const request = { VolumeId: volumeId, ...(detachOptions.force ? { Force: true } : {}) };
      await call('DetachVolume', request, [volumeId], () => client.send(new DetachVolumeCommand(request)));
    },
    async describeInstance(instanceId) {
      const output = await call('DescribeInstances', { InstanceIds: [instanceId] }, [instanceId], () =>
        client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })),
      );
      const instance = output.Reservations?.flatMap((reservation) => reservation.Instances ?? []).find(
        (candidate) => candidate.InstanceId === instanceId,
      );
      if (instance === undefined) {
        throw new Ec2CallError('DescribeInstances', {
          ec2Code: 'InvalidInstanceID.NotFound',
          message: 'not in the reply',
          httpStatus: 400,
          ids: [instanceId],
        });
      }
      return toInstance(instance);
    },
    async describeInstances(filters, maxResults, nextToken) {
      const request = {
        Filters: toFilters(filters),
        MaxResults: maxResults,
        ...(nextToken === undefined ? {} : { NextToken: nextToken }),
      };
      const output = await call('DescribeInstances', request, [], () =>
        client.send(new DescribeInstancesCommand(request)),
      );
      const instances = (output.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? []);
      return { items: instances.map(toInstance), nextToken: output.NextToken || undefined };
    },
  };
}

// --- internals ---

/** EC2 codes that mean the volume does not exist, as far as a caller can tell. */
const UNKNOWN_VOLUME_CODES: ReadonlySet<string> = new Set([
  'InvalidVolume.NotFound',
  'InvalidVolumeID.Malformed',
]);

function translate(
  operation: string,
  error: unknown,
  ids: readonly string[],
  secrets: readonly string[],
): Error {
  const sdk = error as {
    name?: unknown;
    message?: unknown;
    $metadata?: { httpStatusCode?: number; requestId?: string };
  };
  const code = typeof sdk.name === 'string' ? sdk.name : 'UnknownError';
  const [volumeId] = ids;
  if (UNKNOWN_VOLUME_CODES.has(code) && volumeId !== undefined)
    return new UnknownVolumeError(volumeId, { cause: error });
  const message = secrets.reduce(
    (text, secret) => text.replaceAll(secret, '[REDACTED]'),
    typeof sdk.message === 'string' ? sdk.message : String(error),
  );
  return new Ec2CallError(
    operation,
    {
      ec2Code: code,
      message,
      httpStatus: sdk.$metadata?.httpStatusCode,
      requestId: sdk.$metadata?.requestId,
      ids,
    },
    { cause: error },
  );
}

function toFilters(filters: readonly Ec2Filter[]): { Name: string; Values: string[] }[] {
  return filters.map((filter) => ({ Name: filter.name, Values: [...filter.values] }));
}

function toVolume(volume: Volume): Ec2Volume {
  return {
    id: volume.VolumeId ?? '',
    sizeGiB: volume.Size ?? 0,
    zone: volume.AvailabilityZone ?? '',
    state: volume.State ?? '',
    volumeType: volume.VolumeType ?? '',
    iops: volume.Iops,
    tags: Object.fromEntries((volume.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? ''])),
    attachments: (volume.Attachments ?? []).map((attachment) => ({
      instanceId: attachment.InstanceId ?? '',
      device: attachment.Device ?? '',
      state: attachment.State ?? '',
    })),
  };
}

function toInstance(instance: Instance): Ec2Instance {
  return {
    id: instance.InstanceId ?? '',
    zone: instance.Placement?.AvailabilityZone ?? '',
    state: instance.State?.Name ?? '',
    devices: (instance.BlockDeviceMappings ?? []).flatMap((mapping) =>
      mapping.DeviceName ? [mapping.DeviceName] : [],
    ),
  };
}
