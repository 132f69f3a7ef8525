import {
  AttachVolumeCommand,
  CreateVolumeCommand,
  DeleteVolumeCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  DetachVolumeCommand,
  EC2Client,
  type EC2ClientConfig,
  type Instance,
  StartInstancesCommand,
  type Volume,
} from '@aws-sdk/client-ec2';
import {
  BackendError,
  type Clock,
  type Logger,
  type Metrics,
  UnknownVolumeError,
} from '@flockerjs/core-interface';
import { meterEc2Client } from './ec2-metrics.js';
import { DEFAULT_THROTTLE_WAIT_MS, GateRetryStrategy, ThrottleGate } from './throttle-gate.js';

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
 * volume EC2 does not know (or an id it cannot parse), else {@link Ec2CallError} (`BACKEND`) whose
 * {@link Ec2Failure} says what went wrong in the driver's terms, so the driver never reads EC2's codes.
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
  startInstance(instanceId: string): Promise<void>;
}

/**
 * What an EC2 failure means to the driver:
 * - `transient`: throttling, a 5xx or a network failure that outlived the SDK's retries; worth polling through.
 * - `volume-in-use`: the volume is attached (AttachVolume, DeleteVolume).
 * - `device-name-in-use`: AttachVolume refused the device name as taken on the instance.
 * - `incorrect-state`: the volume is in a state that does not allow the call (detaching already, creating).
 * - `token-reused`: the ClientToken belongs to another request, or to a volume that no longer exists.
 * - `refused`: CreateVolume refused the request itself (type unavailable in the zone, quota, parameters).
 * - `unknown-instance`: no such instance.
 * - `other`: anything else.
 */
export const EC2_FAILURES = [
  'transient',
  'volume-in-use',
  'device-name-in-use',
  'incorrect-state',
  'token-reused',
  'refused',
  'unknown-instance',
  'other',
] as const;
export type Ec2Failure = (typeof EC2_FAILURES)[number];

/**
 * An EC2 call that failed for a reason other than an unknown volume. `failure` is what the driver acts on;
 * `ec2Code`, `httpStatus` and `requestId` are for people reading the error.
 */
export class Ec2CallError extends BackendError {
  readonly failure: Ec2Failure;
  readonly ec2Code: string;
  readonly httpStatus: number | undefined;
  readonly requestId: string | undefined;
  readonly ids: readonly string[];
  constructor(
    operation: string,
    details: {
      failure: Ec2Failure;
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
    this.failure = details.failure;
    this.ec2Code = details.ec2Code;
    this.httpStatus = details.httpStatus;
    this.requestId = details.requestId;
    this.ids = details.ids;
  }
}

/** True for an error worth polling through: throttling, 5xx, a network failure. */
export function isTransient(error: unknown): boolean {
  return failureOf(error) === 'transient';
}

/** The {@link Ec2Failure} of an error from an {@link Ec2Api} call; `undefined` for any other error. */
export function failureOf(error: unknown): Ec2Failure | undefined {
  return error instanceof Ec2CallError ? error.failure : undefined;
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
  /** Tries per call for server errors and network failures; throttled tries are bounded by `throttleWaitMs`. */
  readonly maxAttempts: number;
  /** How long one call may keep being throttled before it fails (`transient`). @default 60000 */
  readonly throttleWaitMs?: number | undefined;
  readonly clock?: Clock | undefined;
  readonly logger: Logger;
  /** Where each action's tries and throttles are counted. @default nowhere */
  readonly metrics?: Metrics | undefined;
  /** Logged-as name of the driver. */
  readonly driverName: string;
}

/**
 * The default {@link Ec2Api}: the AWS SDK v3, each call logged as an action. Each EC2 action has its own client
 * and {@link ThrottleGate}, as EC2 has a token bucket per action: a throttled call waits for its action's gate
 * and is retried when it opens (the SDK's adaptive mode paces a whole client by any action's throttles, and
 * its backoff grows to 20 s, both of which left refilled tokens unused while calls slept).
 */
export function createSdkEc2Api(options: SdkEc2Options): Ec2Api {
  const clients = new Map<string, EC2Client>();
  let credentials: EC2ClientConfig['credentials'] =
    options.credentials === undefined ? undefined : { ...options.credentials };
  const clientOf = (operation: string): EC2Client => {
    let client = clients.get(operation);
    if (client === undefined) {
      client = new EC2Client({
        region: options.region,
        ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
        ...(credentials === undefined ? {} : { credentials }),
        maxAttempts: options.maxAttempts,
        retryStrategy: new GateRetryStrategy({
          gate: new ThrottleGate({ clock: options.clock }),
          maxAttempts: options.maxAttempts,
          throttleWaitMs: options.throttleWaitMs ?? DEFAULT_THROTTLE_WAIT_MS,
          clock: options.clock,
        }),
      });
      // Every action's client signs with the first one's provider: the default chain (an instance role) is
      // looked up once, not once per action.
      credentials ??= client.config.credentials;
      if (options.metrics !== undefined) meterEc2Client(client, options.metrics);
      clients.set(operation, client);
    }
    return client;
  };
  // Messages from EC2 never carry the secret key, but a signature error may quote the access key id.
  const secrets: readonly string[] = [
    options.credentials?.accessKeyId,
    options.credentials?.secretAccessKey,
    options.credentials?.sessionToken,
  ].filter((value): value is string => value !== undefined);
  const call = async <T>(
    operation: string,
    input: object,
    ids: readonly string[],
    send: (client: EC2Client) => Promise<T>,
  ): Promise<T> =>
    options.logger.action(`${options.driverName}:ec2:${operation}`, { input }, async () => {
      try {
        return await send(clientOf(operation));
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
      const output = await call('CreateVolume', request, [], (client) =>
        client.send(new CreateVolumeCommand(request)),
      );
      return toVolume(output);
    },
    async deleteVolume(volumeId) {
      await call('DeleteVolume', { VolumeId: volumeId }, [volumeId], (client) =>
        client.send(new DeleteVolumeCommand({ VolumeId: volumeId })),
      );
    },
    async describeVolume(volumeId) {
      const output = await call('DescribeVolumes', { VolumeIds: [volumeId] }, [volumeId], (client) =>
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
      const output = await call('DescribeVolumes', request, [], (client) =>
        client.send(new DescribeVolumesCommand(request)),
      );
      return { items: (output.Volumes ?? []).map(toVolume), nextToken: output.NextToken || undefined };
    },
    async attachVolume(volumeId, instanceId, device) {
      const request = { VolumeId: volumeId, InstanceId: instanceId, Device: device };
      await call('AttachVolume', request, [volumeId, instanceId, device], (client) =>
        client.send(new AttachVolumeCommand(request)),
      );
    },
    async detachVolume(volumeId, detachOptions = {}) {
      const request = { VolumeId: volumeId, ...(detachOptions.force ? { Force: true } : {}) };
      await call('DetachVolume', request, [volumeId], (client) =>
        client.send(new DetachVolumeCommand(request)),
      );
    },
    async describeInstance(instanceId) {
      const output = await call('DescribeInstances', { InstanceIds: [instanceId] }, [instanceId], (client) =>
        client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })),
      );
      const instance = output.Reservations?.flatMap((reservation) => reservation.Instances ?? []).find(
        (candidate) => candidate.InstanceId === instanceId,
      );
      if (instance === undefined) {
        throw new Ec2CallError('DescribeInstances', {
          failure: 'unknown-instance',
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
      const output = await call('DescribeInstances', request, [], (client) =>
        client.send(new DescribeInstancesCommand(request)),
      );
      const instances = (output.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? []);
      return { items: instances.map(toInstance), nextToken: output.NextToken || undefined };
    },
    async startInstance(instanceId) {
      const request = { InstanceIds: [instanceId] };
      await call('StartInstances', request, [instanceId], (client) =>
        client.send(new StartInstancesCommand(request)),
      );
    },
  };
}

/**
 * `text` with every whole occurrence of a secret replaced: a secret counts only where no letter, digit or `_`
 * touches it (a SigV4 scope `AKIA…/20260101` still is one), so a short secret does not blank unrelated words.
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  return secrets.reduce((redacted, secret) => {
    if (secret === '') return redacted;
    const escaped = secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return redacted.replace(new RegExp(`(?<!\\w)${escaped}(?!\\w)`, 'g'), '[REDACTED]');
  }, text);
}

// --- internals ---

/** EC2 codes that mean the volume does not exist, as far as a caller can tell. */
const UNKNOWN_VOLUME_CODES: ReadonlySet<string> = new Set([
  'InvalidVolume.NotFound',
  'InvalidVolumeID.Malformed',
]);

/** EC2 codes of throttling and of server errors (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html). */
const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'InternalError',
  'ServerInternal',
  'Unavailable',
  'ServiceUnavailable',
]);

/** CreateVolume codes that refuse the requested volume itself: its type, size, IOPS, or the account's quota. */
const REFUSED_CREATE_CODES: ReadonlySet<string> = new Set([
  'InvalidParameterValue',
  'InvalidParameterCombination',
  'MissingParameter',
  'VolumeTypeNotAvailableInZone',
  'VolumeLimitExceeded',
  'InsufficientVolumeCapacity',
  'MaxIOPSLimitExceeded',
  'UnsupportedOperation',
]);

/** Classifies one EC2 error for the driver; the only place EC2's codes and statuses are read. */
function classify(operation: string, code: string, status: number | undefined, message: string): Ec2Failure {
  if (TRANSIENT_CODES.has(code) || status === undefined || status >= 500) return 'transient';
  if (code === 'IdempotentParameterMismatch') return 'token-reused';
  if (code === 'VolumeInUse') return 'volume-in-use';
  if (code === 'IncorrectState') return 'incorrect-state';
  if (code === 'InvalidInstanceID.NotFound' || code === 'InvalidInstanceID.Malformed')
    return 'unknown-instance';
  // EC2 has no code of its own for a taken device name: it is an InvalidParameterValue saying "in use".
  if (operation === 'AttachVolume' && code === 'InvalidParameterValue' && /in use/i.test(message)) {
    return 'device-name-in-use';
  }
  if (operation === 'CreateVolume' && REFUSED_CREATE_CODES.has(code)) return 'refused';
  return 'other';
}

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
  const message = redactSecrets(typeof sdk.message === 'string' ? sdk.message : String(error), secrets);
  const status = sdk.$metadata?.httpStatusCode;
  return new Ec2CallError(
    operation,
    {
      failure: classify(operation, code, status, message),
      ec2Code: code,
      message,
      httpStatus: status,
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
