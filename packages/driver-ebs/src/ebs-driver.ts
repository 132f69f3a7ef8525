import { createHash } from 'node:crypto';
import {
  AlreadyAttachedError,
  assertDatasetId,
  type BlockDeviceVolume,
  blockDeviceVolume,
  type Capabilities,
  type Clock,
  checkAllocatableSize,
  DatasetExistsError,
  hasCode,
  type ICloudAPI,
  InvalidConfigError,
  InvalidIdError,
  type IProfiledBlockDeviceAPI,
  isUuid,
  type Logger,
  MANDATORY_PROFILES,
  silentLogger,
  systemClock,
  UnattachedVolumeError,
  UnknownVolumeError,
  withAttachedTo,
} from '@flockerjs/core-interface';
import type { EbsConfig, ProfileConfig } from './config.js';
import { type DeviceFs, nodeDeviceFs } from './device/discovery.js';
import { DeviceNameAllocator } from './device/names.js';
import { createSdkEc2Api, type Ec2Api, Ec2CallError, type Ec2Volume } from './ec2-client.js';
import { type InstanceMetadata, imdsMetadata } from './metadata.js';
import { volumeParameters } from './profiles.js';
import { GIB, ignoreUnknown, VolumeWaits } from './volume-waits.js';

export { GIB };

export const DRIVER_NAME = 'aws';
/** Tags every volume carries from creation, as the original driver named them. */
export const CLUSTER_ID_TAG = 'flocker-cluster-id';
export const DATASET_ID_TAG = 'flocker-dataset-id';
export const METADATA_VERSION_TAG = 'flocker-metadata-version';
export const METADATA_VERSION = '1';
/** The largest DescribeVolumes page EC2 serves, so listing takes the fewest calls. */
export const DESCRIBE_VOLUMES_MAX_RESULTS = 500;
/** The largest DescribeInstances page EC2 serves. */
export const DESCRIBE_INSTANCES_MAX_RESULTS = 1000;
/** Device names tried per attach when EC2 refuses one as in use (a device only the AMI knows about). */
export const MAX_DEVICE_NAME_ATTEMPTS = 4;
/** Client tokens tried per create when EC2 says a token is burned by an earlier, failed creation. */
export const MAX_CLIENT_TOKEN_GENERATIONS = 3;
/** Volume states in which a volume no longer exists for callers. */
const GONE_STATES: ReadonlySet<string> = new Set(['deleting', 'deleted']);

export interface EbsDeps {
  readonly ec2: Ec2Api;
  readonly metadata: InstanceMetadata;
  readonly fs: DeviceFs;
  /** Where `/sys` is; device sizes are read from `<sysfsRoot>/dev/block/<major>:<minor>/size`. */
  readonly sysfsRoot: string;
  readonly logger: Logger;
  readonly clock: Clock;
}

/** What {@link AwsEbsDriver} runs with, settled by {@link AwsEbsDriver.open}. */
export interface EbsSettings {
  readonly clusterId: string;
  readonly instanceId: string;
  readonly zone: string;
  readonly config: EbsConfig;
}

export class AwsEbsDriver implements IProfiledBlockDeviceAPI, ICloudAPI {
  readonly capabilities: Capabilities = Object.freeze({
    profiles: true,
    cloudApi: true,
    startNode: false,
    resize: false,
  });
  readonly #settings: EbsSettings;
  readonly #ec2: Ec2Api;
  readonly #deps: EbsDeps;
  readonly #names: DeviceNameAllocator;
  readonly #tokenGenerations = new Map<string, number>();
  readonly #waits: VolumeWaits;

  /** Use {@link AwsEbsDriver.open}, which asks IMDS where this node is. */
  constructor(settings: EbsSettings, deps: EbsDeps) {
    this.#settings = Object.freeze({ ...settings });
    this.#ec2 = deps.ec2;
    this.#deps = deps;
    this.#names = new DeviceNameAllocator(() => deps.clock.now());
    this.#waits = new VolumeWaits({ ...deps, config: settings.config, driverName: DRIVER_NAME });
  }

  /**
   * Reads this instance's id and zone from IMDSv2 and makes the driver.
   * @throws `UNKNOWN_INSTANCE_ID` when IMDS does not answer; `INVALID_CONFIG` when `zone` is not this instance's.
   */
  static async open(
    config: EbsConfig,
    context: { readonly clusterId: string | undefined },
    deps: Partial<EbsDeps> = {},
  ): Promise<AwsEbsDriver> {
    if (!isUuid(context.clusterId))
      throw new InvalidConfigError([`cluster id: ${DRIVER_NAME} needs the cluster's UUID`]);
    const logger = deps.logger ?? silentLogger;
    const metadata = deps.metadata ?? imdsMetadata(config.imds_endpoint);
    const [instanceId, zone] = await Promise.all([metadata.instanceId(), metadata.availabilityZone()]);
    if (config.zone !== undefined && config.zone !== zone) {
      throw new InvalidConfigError([`dataset.zone: ${config.zone} is not this instance's zone ${zone}`]);
    }
    const credentials =
      config.access_key_id === undefined || config.secret_access_key === undefined
        ? undefined
        : {
            accessKeyId: config.access_key_id,
            secretAccessKey: config.secret_access_key,
            sessionToken: config.session_token,
          };
    const ec2 =
      deps.ec2 ??
      createSdkEc2Api({
        region: config.region,
        endpoint: config.endpoint,
        credentials,
        maxAttempts: config.max_attempts,
        logger,
        driverName: DRIVER_NAME,
      });
    return new AwsEbsDriver(
      { clusterId: context.clusterId, instanceId, zone, config },
      {
        ec2,
        metadata,
        fs: deps.fs ?? nodeDeviceFs,
        sysfsRoot: deps.sysfsRoot ?? '/sys',
        logger,
        clock: deps.clock ?? systemClock,
      },
    );
  }

  async allocationUnit(): Promise<number> {
    return GIB;
  }

  async computeInstanceId(): Promise<string> {
    return this.#settings.instanceId;
  }

  async createVolume(datasetId: string, size: number): Promise<BlockDeviceVolume> {
    return this.createVolumeWithProfile(datasetId, size, 'default');
  }

  async createVolumeWithProfile(
    datasetId: string,
    size: number,
    profileName: string,
  ): Promise<BlockDeviceVolume> {
    assertDatasetId(datasetId);
    checkAllocatableSize(GIB, size);
    const sizeGiB = size / GIB;
    const parameters = volumeParameters(this.#profile(profileName), sizeGiB);
    if (parameters.fallback !== undefined) {
      this.#deps.logger.message(
        `${DRIVER_NAME}:profile_fallback`,
        { datasetId, profileName, reason: parameters.fallback },
        'warn',
      );
    }
    const created = await this.#createOnce(datasetId, sizeGiB, parameters.volumeType, parameters.iops);
    await this.#waits.available(created.id);
    return blockDeviceVolume({ blockDeviceId: created.id, size, attachedTo: null, datasetId });
  }

  async destroyVolume(blockDeviceId: string): Promise<void> {
    const volume = await this.#describeOwn(blockDeviceId);
    const [attachment] = volume.attachments;
    if (attachment !== undefined) throw new AlreadyAttachedError(blockDeviceId, attachment.instanceId);
    // A delete whose reply was lost and retried finds the volume deleting or gone: that is success.
    await this.#ec2.deleteVolume(blockDeviceId).catch(async (error: unknown) => {
      if (hasCode(error, 'UNKNOWN_VOLUME')) return;
      if (!(error instanceof Ec2CallError && error.ec2Code === 'IncorrectState')) throw error;
      const now = await this.#ec2.describeVolume(blockDeviceId).catch(ignoreUnknown);
      if (now !== undefined && !GONE_STATES.has(now.state)) throw error;
    });
    await this.#waits.deleted(blockDeviceId);
  }

  async attachVolume(blockDeviceId: string, attachTo: string): Promise<BlockDeviceVolume> {
    const volume = await this.#describeOwn(blockDeviceId);
    const [current] = volume.attachments;
    if (current !== undefined || volume.state !== 'available') {
      throw new AlreadyAttachedError(blockDeviceId, current?.instanceId ?? null);
    }
    if (!/^i-[0-9a-f]{8,17}$/.test(attachTo))
      throw new InvalidIdError('instance id', attachTo, 'an EC2 instance id');
    const device = await this.#attachWithFreeName(blockDeviceId, attachTo);
    await this.#waits.attached(blockDeviceId, attachTo, device);
    if (attachTo === this.#settings.instanceId) {
      try {
        await this.#waits.device(blockDeviceId, device, volume.sizeGiB);
      } catch (error) {
        // A volume without a usable device is not attached in the contract's sense: leave it as it was.
        await this.#waits.detach(blockDeviceId).catch(() => {});
        throw error;
      }
    }
    return withAttachedTo(toBlockDeviceVolume(volume), attachTo);
  }

  async detachVolume(blockDeviceId: string): Promise<void> {
    const volume = await this.#describeOwn(blockDeviceId);
    const [attachment] = volume.attachments;
    if (attachment === undefined) throw new UnattachedVolumeError(blockDeviceId);
    await this.#waits.detach(blockDeviceId);
    if (attachment.instanceId === this.#settings.instanceId) {
      await this.#waits.deviceGone(blockDeviceId, attachment.device);
    }
  }

  async listVolumes(): Promise<readonly BlockDeviceVolume[]> {
    const filters = [{ name: `tag:${CLUSTER_ID_TAG}`, values: [this.#settings.clusterId] }];
    const volumes: BlockDeviceVolume[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.#ec2.describeVolumes(filters, DESCRIBE_VOLUMES_MAX_RESULTS, nextToken);
      for (const volume of page.items) {
        if (GONE_STATES.has(volume.state)) continue;
        if (!isUuid(volume.tags[DATASET_ID_TAG])) {
          this.#deps.logger.message(
            `${DRIVER_NAME}:invalid_dataset_tag`,
            { volumeId: volume.id, tags: volume.tags },
            'warn',
          );
          continue;
        }
        volumes.push(toBlockDeviceVolume(volume));
      }
      nextToken = page.nextToken;
    } while (nextToken !== undefined);
    return volumes;
  }

  async getDevicePath(blockDeviceId: string): Promise<string> {
    const volume = await this.#describeOwn(blockDeviceId);
    const here = volume.attachments.find((attachment) => attachment.instanceId === this.#settings.instanceId);
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

  // --- internals ---

  get #config(): EbsConfig {
    return this.#settings.config;
  }

  #profile(name: string): ProfileConfig {
    const profiles = this.#config.profiles;
    const key = name === 'default' ? 'bronze' : name;
    if (key === 'gold' || key === 'silver' || key === 'bronze') return profiles[key];
    throw new InvalidConfigError([
      `profile: ${JSON.stringify(name)} is not one of ${MANDATORY_PROFILES.join(', ')}`,
    ]);
  }

  /**
   * One CreateVolume, tagged at creation, under a client token derived from the cluster and dataset, so a
   * retried call (by the SDK or by the convergence loop) returns the volume the first one made.
   */
  async #createOnce(
    datasetId: string,
    sizeGiB: number,
    volumeType: string,
    iops: number | undefined,
  ): Promise<Ec2Volume> {
    const tags = {
      [CLUSTER_ID_TAG]: this.#settings.clusterId,
      [DATASET_ID_TAG]: datasetId,
      [METADATA_VERSION_TAG]: METADATA_VERSION,
      Name: `flocker-${datasetId}`,
    };
    for (let attempt = 1; ; attempt += 1) {
      const generation = this.#tokenGenerations.get(datasetId) ?? 1;
      const clientToken = clientTokenFor(this.#settings.clusterId, datasetId, generation);
      try {
        return await this.#ec2.createVolume({
          zone: this.#settings.zone,
          sizeGiB,
          volumeType,
          iops,
          tags,
          clientToken,
        });
      } catch (error) {
        if (!(error instanceof Ec2CallError) || error.ec2Code !== 'IdempotentParameterMismatch') throw error;
        // The token was used with other parameters: either this dataset has a volume already, or an earlier
        // creation failed and burned the token (https://github.com/kubernetes-sigs/aws-ebs-csi-driver/issues/1951).
        const existing = await this.#datasetVolume(datasetId);
        if (existing !== undefined) throw new DatasetExistsError(datasetId, existing.id);
        if (attempt >= MAX_CLIENT_TOKEN_GENERATIONS) throw error;
        this.#tokenGenerations.set(datasetId, generation + 1);
      }
    }
  }

  async #datasetVolume(datasetId: string): Promise<Ec2Volume | undefined> {
    const filters = [
      { name: `tag:${CLUSTER_ID_TAG}`, values: [this.#settings.clusterId] },
      { name: `tag:${DATASET_ID_TAG}`, values: [datasetId] },
    ];
    const page = await this.#ec2.describeVolumes(filters, DESCRIBE_VOLUMES_MAX_RESULTS);
    return page.items.find((volume) => !GONE_STATES.has(volume.state));
  }

  /** The volume, if it exists and belongs to this cluster; any other is unknown to this API. */
  async #describeOwn(blockDeviceId: string): Promise<Ec2Volume> {
    const volume = await this.#ec2.describeVolume(blockDeviceId);
    if (volume.tags[CLUSTER_ID_TAG] !== this.#settings.clusterId || GONE_STATES.has(volume.state)) {
      throw new UnknownVolumeError(blockDeviceId);
    }
    return volume;
  }

  async #attachWithFreeName(blockDeviceId: string, instanceId: string): Promise<string> {
    for (let attempt = 1; ; attempt += 1) {
      const instance = await this.#ec2.describeInstance(instanceId);
      const device = this.#names.reserve(instanceId, instance.devices);
      try {
        await this.#ec2.attachVolume(blockDeviceId, instanceId, device);
        return device;
      } catch (error) {
        if (error instanceof Ec2CallError && error.ec2Code === 'VolumeInUse') {
          // Our own attach, applied but its reply lost and retried by the SDK, also ends here.
          const now = await this.#describeOwn(blockDeviceId);
          const mine = now.attachments.find((a) => a.instanceId === instanceId && a.device === device);
          if (mine !== undefined) return device;
          throw new AlreadyAttachedError(blockDeviceId, now.attachments[0]?.instanceId ?? null);
        }
        const nameRefused =
          error instanceof Ec2CallError &&
          error.ec2Code === 'InvalidParameterValue' &&
          /in use/i.test(error.message);
        if (!nameRefused || attempt >= MAX_DEVICE_NAME_ATTEMPTS) throw error;
        this.#names.refuse(instanceId, device);
        this.#deps.logger.message(
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
