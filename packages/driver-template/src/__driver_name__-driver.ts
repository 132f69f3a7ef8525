import { hostname } from 'node:os';
import {
  AlreadyAttachedError,
  assertDatasetId,
  type BlockDeviceVolume,
  blockDeviceVolume,
  type Capabilities,
  checkAllocatableSize,
  DatasetExistsError,
  type DriverContext,
  type Exec,
  execCommand,
  type IBlockDeviceAPI,
  InvalidConfigError,
  InvalidIdError,
  isUuid,
  type Logger,
  silentLogger,
  UnattachedVolumeError,
  UnknownInstanceIdError,
  UnknownVolumeError,
  waitFor,
} from '@flockerjs/core-interface';
import type { __DriverName__Client, RemoteVolume } from './__driver_name__-client.js';
import { type __DriverName__Config, INSTANCE_ID_PATTERN } from './config.js';
import { findDevicePath } from './device/device-path.js';
import { InMemoryStorage } from './in-memory-storage.js';

/** The backend's name in messages and logs. */
export const DRIVER_NAME = '__driver_name__';
/** 16 MiB: enough for an ext4 journal. TODO(driver-author): the smallest volume your system creates. */
export const MINIMUM_ALLOCATABLE_SIZE = 16 * 1024 * 1024;
/** How long a disk may take to appear on this host once the storage reports it attached. TODO(driver-author). */
export const DEVICE_TIMEOUT_MS = 30_000;
/** Metadata keys on every volume this driver creates: which cluster owns it, which dataset it holds. */
export const CLUSTER_ID_KEY = 'flocker-cluster-id';
export const DATASET_ID_KEY = 'flocker-dataset-id';

/** What {@link __DriverName__Driver.open} takes besides the config: the loader's context and the driver's own I/O. */
export interface __DriverName__Context extends DriverContext {
  /** The storage system's API. @default the production client (today the in-memory stand-in) */
  readonly client?: __DriverName__Client;
  /** Runs OS commands (device discovery). @default the real ones */
  readonly exec?: Exec;
}

export interface __DriverName__Settings {
  /** This cluster's id: volumes of other clusters sharing the storage system are invisible to this driver. */
  readonly clusterId: string;
  readonly instanceId: string;
  readonly allocationUnit: number;
}

export class __DriverName__Driver implements IBlockDeviceAPI {
  // TODO(driver-author): declare only what you implement; each `true` turns on its conformance tests.
  readonly capabilities: Capabilities = Object.freeze({
    profiles: false,
    cloudApi: false,
    startNode: false,
    resize: false,
    // What a second createVolume for a dataset, and destroyVolume of an attached volume, do (see Capabilities).
    idempotentCreate: false,
    destroysAttached: false,
  });
  readonly #settings: __DriverName__Settings;
  readonly #client: __DriverName__Client;
  readonly #exec: Exec;

  constructor(
    settings: __DriverName__Settings,
    deps: { readonly client: __DriverName__Client; readonly exec: Exec; readonly logger: Logger },
  ) {
    this.#settings = Object.freeze({ ...settings });
    this.#client = deps.client;
    this.#exec = (file, args) =>
      deps.logger.action(`${DRIVER_NAME}:exec`, { argv: [file, ...args] }, () => deps.exec(file, args));
  }

  /** Settles this node's instance id and makes the production client (or takes the one in `deps`). */
  static async open(
    config: __DriverName__Config,
    context: __DriverName__Context,
  ): Promise<__DriverName__Driver> {
    if (!isUuid(context.clusterId)) {
      throw new InvalidConfigError([`cluster id: ${DRIVER_NAME} needs the cluster's id (a UUID)`]);
    }
    // TODO(driver-author): ask your platform who this node is (a metadata service, a local agent).
    const instanceId = config.compute_instance_id ?? hostname();
    if (!INSTANCE_ID_PATTERN.test(instanceId)) {
      throw new UnknownInstanceIdError(`host name ${JSON.stringify(instanceId)} is not a valid instance id`);
    }
    const exec = context.exec ?? execCommand;
    return new __DriverName__Driver(
      { clusterId: context.clusterId, instanceId, allocationUnit: config.allocation_unit },
      {
        // TODO(driver-author): make your real client here; the stand-in then moves to test/ as your fake.
        client:
          context.client ??
          new InMemoryStorage({ backingDir: config.backing_dir, hostInstanceId: instanceId, exec }),
        exec,
        logger: context.logger ?? silentLogger,
      },
    );
  }

  async allocationUnit(): Promise<number> {
    return this.#settings.allocationUnit;
  }

  async computeInstanceId(): Promise<string> {
    return this.#settings.instanceId;
  }

  async createVolume(datasetId: string, size: number): Promise<BlockDeviceVolume> {
    assertDatasetId(datasetId);
    checkAllocatableSize(this.#settings.allocationUnit, size);
    const metadata = { [CLUSTER_ID_KEY]: this.#settings.clusterId, [DATASET_ID_KEY]: datasetId };
    // One volume per dataset. TODO(driver-author): where your system takes an idempotency token, create with
    // one derived from the dataset instead, return the existing volume, and declare `idempotentCreate`.
    const [existing] = await this.#client.listVolumes(metadata);
    if (existing !== undefined) throw new DatasetExistsError(datasetId, existing.id);
    return toVolume(await this.#client.createVolume({ sizeBytes: size, metadata }));
  }

  async destroyVolume(blockDeviceId: string): Promise<void> {
    const remote = await this.#get(blockDeviceId);
    if (remote.attachedTo !== null) throw new AlreadyAttachedError(blockDeviceId, remote.attachedTo);
    await this.#client.deleteVolume(blockDeviceId);
  }

  async attachVolume(blockDeviceId: string, attachTo: string): Promise<BlockDeviceVolume> {
    const remote = await this.#get(blockDeviceId);
    if (remote.attachedTo !== null) throw new AlreadyAttachedError(blockDeviceId, remote.attachedTo);
    if (!INSTANCE_ID_PATTERN.test(attachTo)) {
      throw new InvalidIdError('instance id', attachTo, INSTANCE_ID_PATTERN.source);
    }
    return toVolume(await this.#client.attachVolume(blockDeviceId, attachTo));
  }

  async detachVolume(blockDeviceId: string): Promise<void> {
    const remote = await this.#get(blockDeviceId);
    if (remote.attachedTo === null) throw new UnattachedVolumeError(blockDeviceId);
    await this.#client.detachVolume(blockDeviceId);
  }

  async listVolumes(): Promise<readonly BlockDeviceVolume[]> {
    const remotes = await this.#client.listVolumes({ [CLUSTER_ID_KEY]: this.#settings.clusterId });
    // A volume without a valid dataset id was not made by flockerjs (or was tampered with): not ours to report.
    return remotes.filter((remote) => isUuid(remote.metadata[DATASET_ID_KEY])).map(toVolume);
  }

  async getDevicePath(blockDeviceId: string): Promise<string> {
    const remote = await this.#get(blockDeviceId);
    if (remote.attachedTo === null) throw new UnattachedVolumeError(blockDeviceId);
    if (remote.attachedTo !== this.#settings.instanceId) {
      throw new UnattachedVolumeError(
        blockDeviceId,
        `is attached to ${JSON.stringify(remote.attachedTo)}, not to this node`,
      );
    }
    return waitFor({
      what: `the disk of ${blockDeviceId} (serial ${remote.serial}) to appear on this host`,
      timeoutMs: DEVICE_TIMEOUT_MS,
      poll: async () => {
        const device = await findDevicePath(this.#exec, remote.serial);
        return device === undefined ? { done: false, state: 'no device yet' } : { done: true, value: device };
      },
    });
  }

  // --- internals ---

  /** The volume, when it exists and belongs to this cluster; `UNKNOWN_VOLUME` otherwise. */
  async #get(blockDeviceId: string): Promise<RemoteVolume> {
    if (typeof blockDeviceId !== 'string') throw new UnknownVolumeError(blockDeviceId);
    const remote = await this.#client.getVolume(blockDeviceId);
    if (
      remote.metadata[CLUSTER_ID_KEY] !== this.#settings.clusterId ||
      !isUuid(remote.metadata[DATASET_ID_KEY])
    ) {
      throw new UnknownVolumeError(blockDeviceId);
    }
    return remote;
  }
}

function toVolume(remote: RemoteVolume): BlockDeviceVolume {
  return blockDeviceVolume({
    blockDeviceId: remote.id,
    size: remote.sizeBytes,
    attachedTo: remote.attachedTo,
    datasetId: remote.metadata[DATASET_ID_KEY] ?? '',
  });
}
