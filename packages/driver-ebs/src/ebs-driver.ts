import { createHash } from 'node:crypto';
import {
  AlreadyAttachedError,
  assertDatasetId,
  BackendError,
  type BlockDeviceVolume,
  blockDeviceVolume,
  type Capabilities,
  type Clock,
  checkAllocatableSize,
  DatasetExistsError,
  type DriverContext,
  hasCode,
  type ICloudAPI,
  InvalidConfigError,
  InvalidIdError,
  type IProfiledBlockDeviceAPI,
  isUuid,
  type Logger,
  MANDATORY_PROFILES,
  noMetrics,
  SharedPoller,
  silentLogger,
  systemClock,
  UnattachedVolumeError,
  UnknownInstanceIdError,
  UnknownVolumeError,
  withAttachedTo,
} from '@flockerjs/core-interface';
import type { EbsConfig, ProfileConfig } from './config.js';
import { type DeviceFs, deviceInUse, discoverDevice, nodeDeviceFs } from './device/discovery.js';
import { DeviceNameAllocator } from './device/names.js';
import {
  createSdkEc2Api,
  type Ec2Api,
  type Ec2Attachment,
  type Ec2Instance,
  type Ec2Volume,
  failureOf,
  isTransient,
} from './ec2-client.js';
import { type InstanceMetadata, imdsMetadata } from './metadata.js';
import { FALLBACK_VOLUME_TYPE, type VolumeParameters, volumeParameters } from './profiles.js';
import {
  GIB,
  ignoreUnknown,
  SHARED_DESCRIBE_IDS,
  undoThenThrow,
  VolumeFailedError,
  VolumeWaits,
} from './volume-waits.js';

export { GIB };

export const DRIVER_NAME = 'aws';
/** Tags every volume carries from creation, as the original driver named them. */
export const CLUSTER_ID_TAG = 'flocker-cluster-id';
export const DATASET_ID_TAG = 'flocker-dataset-id';
export const METADATA_VERSION_TAG = 'flocker-metadata-version';
/** The storage profile a volume was created for (its type alone may not tell: a fallback is gp3). */
export const PROFILE_TAG = 'flocker-profile';
export const METADATA_VERSION = '1';
/** The largest DescribeInstances page EC2 serves. */
export const DESCRIBE_INSTANCES_MAX_RESULTS = 1000;
/** Device names tried per attach when EC2 refuses one as in use (a device only the AMI knows about). */
export const MAX_DEVICE_NAME_ATTEMPTS = 4;
/**
 * Client tokens tried per create. EC2 keeps a token about 12 hours and refuses it once its volume is gone
 * (`IdempotentParameterMismatch`), so each dataset destroyed (or failed) and created again within that time
 * uses up one: the driver walks generations 1, 2, ... until one is free, asking EC2, never its own memory.
 */
export const MAX_CLIENT_TOKEN_GENERATIONS = 16;
/** Volume states in which a volume no longer exists for callers. */
const GONE_STATES: ReadonlySet<string> = new Set(['deleting', 'deleted']);
const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;

/** What {@link AwsEbsDriver.open} takes: the backend context plus the driver's injected I/O. */
export interface EbsContext extends DriverContext {
  /** The EC2 calls. @default the AWS SDK with the config's region, endpoint and credentials */
  readonly ec2?: Ec2Api;
  /** Where this node's instance id comes from. @default IMDS at the config's `imds_endpoint` */
  readonly metadata?: InstanceMetadata;
  readonly fs?: DeviceFs;
  /** Where `/sys` is; device sizes are read from `<sysfsRoot>/dev/block/<major>:<minor>/size`. @default /sys */
  readonly sysfsRoot?: string;
  readonly clock?: Clock;
}

/** This node, as the driver learns it on first need. */
interface Node {
  readonly id: string;
  readonly zone: string;
}

/** A volume's device is in use on this node (mounted, or held): it is not detached. The original's VolumeBusy. */
export class VolumeBusyError extends BackendError {
  readonly blockDeviceId: string;
  readonly device: string;
  constructor(blockDeviceId: string, device: string) {
    super(
      'detachVolume',
      `volume ${blockDeviceId} is busy: its device ${device} is mounted or held open on this node; it stays attached`,
    );
    this.name = 'VolumeBusyError';
    this.blockDeviceId = blockDeviceId;
    this.device = device;
  }
}

export class AwsEbsDriver implements IProfiledBlockDeviceAPI, ICloudAPI {
  readonly capabilities: Capabilities = Object.freeze({
    profiles: true,
    cloudApi: true,
    startNode: true,
    resize: false,
    // A create retried for a dataset that has its volume (same size) returns it; destroy of an attached volume
    // is ALREADY_ATTACHED, as EC2 refuses to delete it.
    idempotentCreate: true,
    destroysAttached: false,
  });
  readonly #clusterId: string;
  readonly #config: EbsConfig;
  readonly #ec2: Ec2Api;
  readonly #metadata: InstanceMetadata;
  readonly #fs: DeviceFs;
  readonly #sysfsRoot: string;
  readonly #logger: Logger;
  readonly #names: DeviceNameAllocator;
  readonly #waits: VolumeWaits;
  /** Lookups of datasets' volumes by concurrent calls, one DescribeVolumes per round for all of them. */
  readonly #datasets: SharedPoller<readonly Ec2Volume[]>;
  /** Lookups of instances by concurrent attaches, one DescribeInstances per round for all of them. */
  readonly #instances: SharedPoller<Ec2Instance>;
  #node: Promise<Node> | undefined;

  private constructor(config: EbsConfig, clusterId: string, context: Required<EbsContext>) {
    this.#clusterId = clusterId;
    this.#config = config;
    this.#ec2 = context.ec2;
    this.#metadata = context.metadata;
    this.#fs = context.fs;
    this.#sysfsRoot = context.sysfsRoot;
    this.#logger = context.logger;
    this.#names = new DeviceNameAllocator(() => context.clock.now());
    this.#waits = new VolumeWaits({ ...context, config, driverName: DRIVER_NAME });
    const shared = { retryable: isTransient, clock: context.clock };
    this.#datasets = new SharedPoller({ ...shared, fetch: (ids) => this.#describeDatasets(ids) });
    this.#instances = new SharedPoller({ ...shared, fetch: (ids) => this.#describeInstances(ids) });
  }

  /**
   * Makes the driver. Asks nothing of the network: this node's instance id (`compute_instance_id`, else IMDS)
   * and zone are resolved when first needed, so a slow metadata service never fails the open.
   * @throws `INVALID_CONFIG` without the cluster's UUID.
   */
  static async open(config: EbsConfig, context: EbsContext = {}): Promise<AwsEbsDriver> {
    if (!isUuid(context.clusterId))
      throw new InvalidConfigError([`cluster id: ${DRIVER_NAME} needs the cluster's UUID`]);
    const logger = context.logger ?? silentLogger;
    const credentials =
      config.access_key_id === undefined || config.secret_access_key === undefined
        ? undefined
        : {
            accessKeyId: config.access_key_id,
            secretAccessKey: config.secret_access_key,
            sessionToken: config.session_token,
          };
    return new AwsEbsDriver(config, context.clusterId, {
      clusterId: context.clusterId,
      configDir: context.configDir ?? '.',
      logger,
      metrics: context.metrics ?? noMetrics,
      ec2:
        context.ec2 ??
        createSdkEc2Api({
          region: config.region,
          endpoint: config.endpoint,
          credentials,
          maxAttempts: config.max_attempts,
          throttleWaitMs: config.timeouts.throttle_ms,
          clock: context.clock,
          logger,
          metrics: context.metrics,
          driverName: DRIVER_NAME,
        }),
      metadata:
        context.metadata ??
        imdsMetadata({ endpoint: config.imds_endpoint, timeoutMs: config.imds_timeout_ms }),
      fs: context.fs ?? nodeDeviceFs,
      sysfsRoot: context.sysfsRoot ?? '/sys',
      clock: context.clock ?? systemClock,
    });
  }

  async allocationUnit(): Promise<number> {
    return GIB;
  }

  async computeInstanceId(): Promise<string> {
    return (await this.#thisNode()).id;
  }

  async createVolume(datasetId: string, size: number): Promise<BlockDeviceVolume> {
    return this.createVolumeWithProfile(datasetId, size, 'default');
  }

  /**
   * Creates the dataset's volume, or returns the one it has when the size matches (a create retried by the
   * convergence loop); another size is `DATASET_EXISTS`. When EC2 refuses the profile's type (quota, zone,
   * parameters) the volume is made with the default type instead, and that is logged, as the original did.
   * @throws `BACKEND` ({@link VolumeFailedError}) at once when EC2 puts the new volume in `error`; the dead
   *   volume is deleted so that the dataset is never bound to it.
   */
  async createVolumeWithProfile(
    datasetId: string,
    size: number,
    profileName: string,
  ): Promise<BlockDeviceVolume> {
    assertDatasetId(datasetId);
    checkAllocatableSize(GIB, size);
    const sizeGiB = size / GIB;
    const profile = this.#profile(profileName);
    const { zone } = await this.#thisNode();
    const existing = await this.#datasetVolume(datasetId);
    if (existing !== undefined && existing.state !== 'creating') {
      return toBlockDeviceVolume(sameOrExists(datasetId, sizeGiB, existing));
    }
    const created =
      existing ?? (await this.#createWithFallback(datasetId, sizeGiB, zone, profileName, profile));
    if (created.sizeGiB !== sizeGiB) throw new DatasetExistsError(datasetId, created.id);
    await this.#waits.available(created.id).catch(async (error: unknown) => {
      if (!(error instanceof VolumeFailedError)) throw error;
      await undoThenThrow(
        'createVolume',
        error,
        () => this.#discard(created.id),
        `the failed volume ${created.id} is left in error`,
      );
    });
    return blockDeviceVolume({ blockDeviceId: created.id, size, attachedTo: null, datasetId });
  }

  async destroyVolume(blockDeviceId: string): Promise<void> {
    const volume = await this.#describeOwn(blockDeviceId);
    const [attachment] = volume.attachments;
    if (attachment !== undefined) throw new AlreadyAttachedError(blockDeviceId, attachment.instanceId);
    await this.#discard(blockDeviceId);
  }

  async attachVolume(blockDeviceId: string, attachTo: string): Promise<BlockDeviceVolume> {
    const volume = await this.#describeOwn(blockDeviceId);
    const [current] = volume.attachments;
    if (current !== undefined || volume.state !== 'available') {
      throw new AlreadyAttachedError(blockDeviceId, current?.instanceId ?? null);
    }
    if (!INSTANCE_ID.test(attachTo)) throw new InvalidIdError('instance id', attachTo, 'an EC2 instance id');
    const device = await this.#attachWithFreeName(blockDeviceId, attachTo);
    await this.#waits.attached(blockDeviceId, attachTo, device);
    if (attachTo === (await this.#thisNode()).id) {
      // A volume without a usable device is not attached in the contract's sense: leave it as it was.
      await this.#waits
        .device(blockDeviceId, device, volume.sizeGiB)
        .catch((error: unknown) =>
          undoThenThrow(
            'attachVolume',
            error,
            () => this.#waits.detach(blockDeviceId),
            `volume ${blockDeviceId} may still be attached to ${attachTo}`,
          ),
        );
    }
    return withAttachedTo(toBlockDeviceVolume(volume), attachTo);
  }

  /**
   * Detaches the volume from whichever node holds it.
   * @throws `BACKEND` ({@link VolumeBusyError}) at once, leaving it attached, when its device is mounted or
   *   held on this node: the local device is checked before EC2 is asked, as the original's VolumeBusy.
   */
  async detachVolume(blockDeviceId: string): Promise<void> {
    const volume = await this.#describeOwn(blockDeviceId);
    const [attachment] = volume.attachments;
    if (attachment === undefined) throw new UnattachedVolumeError(blockDeviceId);
    const here = attachment.instanceId === (await this.#thisNode()).id;
    if (here) await this.#refuseIfBusy(volume, attachment);
    await this.#waits.detach(blockDeviceId);
    if (here) await this.#waits.deviceGone(blockDeviceId, attachment.device);
  }

  async listVolumes(): Promise<readonly BlockDeviceVolume[]> {
    const volumes: BlockDeviceVolume[] = [];
    for (const volume of await this.#clusterVolumes([])) {
      if (!isUuid(volume.tags[DATASET_ID_TAG])) {
        this.#logger.message(
          `${DRIVER_NAME}:invalid_dataset_tag`,
          { volumeId: volume.id, tags: volume.tags },
          'warn',
        );
        continue;
      }
      volumes.push(toBlockDeviceVolume(volume));
    }
    return volumes;
  }

  async getDevicePath(blockDeviceId: string): Promise<string> {
    const volume = await this.#describeOwn(blockDeviceId);
    const node = await this.#thisNode();
    const here = volume.attachments.find((attachment) => attachment.instanceId === node.id);
    if (here === undefined) {
      const [elsewhere] = volume.attachments;
      const detail =
        elsewhere === undefined
          ? 'is not attached'
          : `is attached to ${elsewhere.instanceId}, not to this node`;
      throw new UnattachedVolumeError(blockDeviceId, detail);
    }
    if (here.state !== 'attached')
      throw new UnattachedVolumeError(blockDeviceId, `is ${here.state} on this node`);
    return this.#waits.device(blockDeviceId, here.device, volume.sizeGiB);
  }

  async listLiveNodes(): Promise<readonly string[]> {
    const filters = [{ name: 'instance-state-name', values: ['running'] }];
    const nodes: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.#ec2.describeInstances(filters, DESCRIBE_INSTANCES_MAX_RESULTS, nextToken);
      nodes.push(...page.items.map((instance) => instance.id));
      nextToken = page.nextToken;
    } while (nextToken !== undefined);
    return nodes;
  }

  /** Starts a stopped instance (StartInstances); a running one is left as it is. */
  async startNode(nodeId: string): Promise<void> {
    if (!INSTANCE_ID.test(nodeId)) throw new InvalidIdError('instance id', nodeId, 'an EC2 instance id');
    await this.#ec2.startInstance(nodeId);
  }

  // --- internals ---

  /** This node's id and zone, resolved once on first need; a failure is not kept, so the next call asks again. */
  #thisNode(): Promise<Node> {
    this.#node ??= this.#resolveNode().catch((error: unknown) => {
      this.#node = undefined;
      throw error;
    });
    return this.#node;
  }

  async #resolveNode(): Promise<Node> {
    const id = this.#config.compute_instance_id ?? (await this.#metadata.instanceId());
    const instance = await this.#ec2.describeInstance(id).catch((error: unknown) => {
      if (failureOf(error) !== 'unknown-instance') throw error;
      throw new UnknownInstanceIdError(`EC2 has no instance ${id}`, { cause: error });
    });
    if (this.#config.zone !== undefined && this.#config.zone !== instance.zone) {
      throw new InvalidConfigError([
        `dataset.zone: ${this.#config.zone} is not the zone of this instance (${id} is in ${instance.zone})`,
      ]);
    }
    return { id, zone: instance.zone };
  }

  #profile(name: string): ProfileConfig {
    const profiles = this.#config.profiles;
    const key = name === 'default' ? 'bronze' : name;
    if (key === 'gold' || key === 'silver' || key === 'bronze') return profiles[key];
    throw new InvalidConfigError([
      `profile: ${JSON.stringify(name)} is not one of ${MANDATORY_PROFILES.join(', ')}`,
    ]);
  }

  /** Creates with the profile's type, or with the default type when EC2 refuses that one; logs any fallback. */
  async #createWithFallback(
    datasetId: string,
    sizeGiB: number,
    zone: string,
    profileName: string,
    profile: ProfileConfig,
  ): Promise<Ec2Volume> {
    const fallback = (reason: string): VolumeParameters => {
      this.#logger.message(`${DRIVER_NAME}:profile_fallback`, { datasetId, profileName, reason }, 'warn');
      return { volumeType: FALLBACK_VOLUME_TYPE, iops: undefined, fallback: reason };
    };
    const wanted = volumeParameters(profile, sizeGiB);
    const parameters = wanted.fallback === undefined ? wanted : fallback(wanted.fallback);
    const tags = {
      [CLUSTER_ID_TAG]: this.#clusterId,
      [DATASET_ID_TAG]: datasetId,
      [METADATA_VERSION_TAG]: METADATA_VERSION,
      [PROFILE_TAG]: profileName === 'default' ? 'bronze' : profileName,
      Name: `flocker-${datasetId}`,
    };
    try {
      return await this.#createOnce(datasetId, sizeGiB, zone, parameters, tags);
    } catch (error) {
      if (failureOf(error) !== 'refused' || parameters.volumeType === FALLBACK_VOLUME_TYPE) throw error;
      const reason = `EC2 refused ${parameters.volumeType}: ${(error as Error).message}`;
      return this.#createOnce(datasetId, sizeGiB, zone, fallback(reason), tags);
    }
  }

  /**
   * One CreateVolume, tagged at creation, under a client token derived from the cluster, the dataset and a
   * generation, so a retried call (by the SDK or by the convergence loop) returns the volume the first one
   * made. A token EC2 refuses (its volume is gone) or whose volume is in `error` is dead: the next generation
   * is tried. Which generation is free is asked of EC2 every time, so a restarted agent finds it too.
   */
  async #createOnce(
    datasetId: string,
    sizeGiB: number,
    zone: string,
    parameters: VolumeParameters,
    tags: Readonly<Record<string, string>>,
  ): Promise<Ec2Volume> {
    for (let generation = 1; generation <= MAX_CLIENT_TOKEN_GENERATIONS; generation += 1) {
      const clientToken = clientTokenFor(this.#clusterId, datasetId, generation);
      let volume: Ec2Volume;
      try {
        volume = await this.#ec2.createVolume({
          zone,
          sizeGiB,
          volumeType: parameters.volumeType,
          iops: parameters.iops,
          tags,
          clientToken,
        });
      } catch (error) {
        if (failureOf(error) !== 'token-reused') throw error;
        // The token made a volume with other parameters (this dataset has one, made by another call), or one
        // that is gone (https://github.com/kubernetes-sigs/aws-ebs-csi-driver/issues/1951).
        const existing = await this.#datasetVolume(datasetId);
        if (existing !== undefined) return sameOrExists(datasetId, sizeGiB, existing);
        continue;
      }
      if (volume.state !== 'error') return volume;
      // A token of a volume that failed: never bind the dataset to it.
      await this.#discard(volume.id).catch(() => {});
    }
    throw new BackendError(
      'createVolume',
      `dataset ${datasetId}: the ClientTokens of generations 1-${MAX_CLIENT_TOKEN_GENERATIONS} all belong to volumes that are gone or failed; EC2 frees them after about 12 hours`,
    );
  }

  /** Deletes a volume and waits until it is gone; a delete whose reply was lost finds it deleting: success. */
  async #discard(blockDeviceId: string): Promise<void> {
    await this.#ec2.deleteVolume(blockDeviceId).catch(async (error: unknown) => {
      if (hasCode(error, 'UNKNOWN_VOLUME')) return;
      if (failureOf(error) !== 'incorrect-state') throw error;
      const now = await this.#waits.volume(blockDeviceId).catch(ignoreUnknown);
      if (now !== undefined && !GONE_STATES.has(now.state)) throw error;
    });
    await this.#waits.deleted(blockDeviceId);
  }

  /** Every volume of this cluster (matching `filters` too) that still exists, page by page. */
  async #clusterVolumes(filters: readonly { name: string; values: string[] }[]): Promise<Ec2Volume[]> {
    const all = [{ name: `tag:${CLUSTER_ID_TAG}`, values: [this.#clusterId] }, ...filters];
    const volumes: Ec2Volume[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.#ec2.describeVolumes(all, this.#config.page_size, nextToken);
      volumes.push(...page.items.filter((volume) => !GONE_STATES.has(volume.state)));
      nextToken = page.nextToken;
    } while (nextToken !== undefined);
    return volumes;
  }

  /**
   * The dataset's live volume: not gone, not failed. Concurrent lookups (a burst of creates) share one
   * DescribeVolumes, filtered by all their dataset ids; a filtered page may be short and still have a next.
   */
  async #datasetVolume(datasetId: string): Promise<Ec2Volume | undefined> {
    const volumes = (await this.#datasets.look(datasetId)) ?? [];
    return volumes.find((volume) => volume.state !== 'error');
  }

  async #describeDatasets(datasetIds: readonly string[]): Promise<ReadonlyMap<string, readonly Ec2Volume[]>> {
    const byDataset = new Map<string, Ec2Volume[]>();
    for (let start = 0; start < datasetIds.length; start += SHARED_DESCRIBE_IDS) {
      const values = datasetIds.slice(start, start + SHARED_DESCRIBE_IDS);
      for (const volume of await this.#clusterVolumes([{ name: `tag:${DATASET_ID_TAG}`, values }])) {
        const datasetId = volume.tags[DATASET_ID_TAG] ?? '';
        byDataset.set(datasetId, [...(byDataset.get(datasetId) ?? []), volume]);
      }
    }
    return byDataset;
  }

  /** The instance, from a DescribeInstances shared with concurrent attaches; `unknown-instance` when absent. */
  async #instance(instanceId: string): Promise<Ec2Instance> {
    // Absent from a filtered answer: asked alone, EC2 names what is wrong (unknown, malformed).
    return (await this.#instances.look(instanceId)) ?? this.#ec2.describeInstance(instanceId);
  }

  async #describeInstances(instanceIds: readonly string[]): Promise<ReadonlyMap<string, Ec2Instance>> {
    const found = new Map<string, Ec2Instance>();
    const filters = [{ name: 'instance-id', values: instanceIds }];
    let nextToken: string | undefined;
    do {
      const page = await this.#ec2.describeInstances(filters, DESCRIBE_INSTANCES_MAX_RESULTS, nextToken);
      for (const instance of page.items) found.set(instance.id, instance);
      nextToken = page.nextToken;
    } while (nextToken !== undefined);
    return found;
  }

  /** The volume, if it exists and belongs to this cluster; any other is unknown to this API. */
  async #describeOwn(blockDeviceId: string): Promise<Ec2Volume> {
    const volume = await this.#waits.volume(blockDeviceId);
    if (volume.tags[CLUSTER_ID_TAG] !== this.#clusterId || GONE_STATES.has(volume.state)) {
      throw new UnknownVolumeError(blockDeviceId);
    }
    return volume;
  }

  async #refuseIfBusy(volume: Ec2Volume, attachment: Ec2Attachment): Promise<void> {
    const found = await discoverDevice(this.#fs, {
      root: this.#config.device_root,
      sysfsRoot: this.#sysfsRoot,
      volumeId: volume.id,
      requestedDevice: attachment.device,
      sizeBytes: volume.sizeGiB * GIB,
    });
    if ('found' in found && (await deviceInUse(this.#fs, found.found))) {
      throw new VolumeBusyError(volume.id, found.found);
    }
  }

  async #attachWithFreeName(blockDeviceId: string, instanceId: string): Promise<string> {
    for (let attempt = 1; ; attempt += 1) {
      const instance = await this.#instance(instanceId);
      const device = this.#names.reserve(instanceId, instance.devices);
      try {
        await this.#ec2.attachVolume(blockDeviceId, instanceId, device);
        return device;
      } catch (error) {
        if (failureOf(error) === 'volume-in-use') {
          // Our own attach, applied but its reply lost and retried by the SDK, also ends here.
          const now = await this.#describeOwn(blockDeviceId);
          const mine = now.attachments.find((a) => a.instanceId === instanceId && a.device === device);
          if (mine !== undefined) return device;
          throw new AlreadyAttachedError(blockDeviceId, now.attachments[0]?.instanceId ?? null);
        }
        if (failureOf(error) !== 'device-name-in-use' || attempt >= MAX_DEVICE_NAME_ATTEMPTS) throw error;
        this.#names.refuse(instanceId, device);
        this.#logger.message(
          `${DRIVER_NAME}:device_name_refused`,
          { blockDeviceId, instanceId, device },
          'warn',
        );
      } finally {
        this.#names.release(instanceId, device);
      }
    }
  }
}

/** A dataset's existing volume answers a create of the same size; another size is `DATASET_EXISTS`. */
function sameOrExists(datasetId: string, sizeGiB: number, existing: Ec2Volume): Ec2Volume {
  if (existing.sizeGiB !== sizeGiB) throw new DatasetExistsError(datasetId, existing.id);
  return existing;
}

/**
 * `ClientToken` for a dataset's volume: the same on every call for the same cluster and dataset (and token
 * generation), at most 64 characters as EC2 requires.
 */
export function clientTokenFor(clusterId: string, datasetId: string, generation = 1): string {
  const digest = createHash('sha256').update(`${clusterId}/${datasetId}`).digest('hex').slice(0, 48);
  return generation === 1 ? `flocker-${digest}` : `flocker-${digest}-${generation}`;
}

function toBlockDeviceVolume(volume: Ec2Volume): BlockDeviceVolume {
  return blockDeviceVolume({
    blockDeviceId: volume.id,
    size: volume.sizeGiB * GIB,
    attachedTo: volume.attachments[0]?.instanceId ?? null,
    datasetId: volume.tags[DATASET_ID_TAG] ?? '',
  });
}
