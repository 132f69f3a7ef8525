import { readFile } from 'node:fs/promises';
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
  type Exec,
  execCommand,
  hasCode,
  type ICloudAPI,
  InvalidConfigError,
  type IProfiledBlockDeviceAPI,
  isUuid,
  type Logger,
  MANDATORY_PROFILES,
  resolveProfileAlias,
  silentLogger,
  systemClock,
  TimeoutError,
  UnattachedVolumeError,
  UnknownVolumeError,
} from '@flockerjs/core-interface';
import type { DeviceSizeFs } from '@flockerjs/linux-block';
import { type CinderClient, type CinderVolume, PkgcloudCinderClient } from './cinder-client.js';
import type { CinderConfig } from './config.js';
import { findDevice } from './device/discovery.js';
import { type HttpSend, sendHttp, type TlsOptions } from './http.js';
import { discoverInstanceId, hostAddresses } from './instance-id.js';
import { type NovaClient, PkgcloudNovaClient } from './nova-client.js';
import { mayHaveApplied } from './openstack-error.js';
import { OpenStackSession } from './openstack-session.js';
import { VolumeStateError, VolumeWaits } from './volume-waits.js';

export const DRIVER_NAME = 'openstack';
/** Cinder sizes volumes in whole GiB (its API says GB; every backend means GiB). */
export const GIB = 1024 ** 3;
export const MINIMUM_ALLOCATABLE_SIZE = GIB;
/** Metadata keys of the original Cinder backend, so that its volumes stay visible. */
export const CLUSTER_ID_LABEL = 'flocker-cluster-id';
export const DATASET_ID_LABEL = 'flocker-dataset-id';
/** Volume names are `flocker-<dataset id>`, as the original named them. */
export const VOLUME_NAME_PREFIX = 'flocker-';
/** Tries of one create or attach whose reply may have been lost; each starts by looking at what exists. */
const MUTATION_ATTEMPTS = 3;
/** Cinder ids are UUIDs; anything else cannot name a volume and is not sent. */
const VOLUME_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ATTACHED_STATES: ReadonlySet<string> = new Set(['reserved', 'attaching', 'in-use', 'detaching']);

/** What the driver runs with: the clients, this host's I/O and the log. */
export interface CinderDeps {
  readonly cinder: CinderClient;
  readonly nova: NovaClient;
  readonly exec: Exec;
  readonly clock: Clock;
  readonly send: HttpSend;
  readonly localAddresses: () => readonly string[];
  readonly logger: Logger;
  /** How device sizes are read; the real sysfs unless a test replaces it. */
  readonly deviceFs?: DeviceSizeFs;
}

/**
 * What {@link CinderDriver.open} takes besides the config: the loader's context (the cluster id is required)
 * and, for tests, replacements for any production dependency (an emulator-pointed `send`, a fake clock, ...).
 */
export interface CinderContext extends DriverContext, Partial<Omit<CinderDeps, 'logger'>> {}

export class CinderDriver implements IProfiledBlockDeviceAPI, ICloudAPI {
  readonly capabilities: Capabilities = Object.freeze({
    profiles: true,
    cloudApi: true,
    startNode: true,
    resize: false,
    // A retried create (its reply lost) finds the dataset's volume and returns it: never a second one.
    idempotentCreate: true,
    // Cinder refuses to delete an attached volume; the caller detaches first.
    destroysAttached: false,
  });
  readonly #config: CinderConfig;
  readonly #clusterId: string;
  readonly #deps: CinderDeps;
  readonly #waits: VolumeWaits;
  #instanceId: Promise<string> | undefined;

  constructor(config: CinderConfig, clusterId: string, deps: CinderDeps) {
    this.#config = Object.freeze(structuredClone(config));
    this.#clusterId = clusterId;
    this.#deps = deps;
    this.#waits = new VolumeWaits({
      cinder: deps.cinder,
      config: this.#config,
      clock: deps.clock,
      clusterMetadata: { [CLUSTER_ID_LABEL]: clusterId },
    });
  }

  /**
   * A driver with production dependencies (pkgcloud over HTTP, `/dev`, the real clock) unless the context
   * replaces them. No request is made: Keystone is first asked on the first call that needs the cloud.
   */
  static async open(config: CinderConfig, context: CinderContext): Promise<CinderDriver> {
    const clusterId = context.clusterId;
    if (!isUuid(clusterId))
      throw new InvalidConfigError([`cluster id: ${DRIVER_NAME} needs the cluster's UUID`]);
    const logger = context.logger ?? silentLogger;
    const clock = context.clock ?? systemClock;
    const send = context.send ?? sendHttp;
    let ca: string | undefined;
    if (config.verify_ca_path !== undefined) {
      try {
        ca = await readFile(config.verify_ca_path, 'utf8');
      } catch (error) {
        throw new InvalidConfigError([
          `dataset.verify_ca_path: cannot read ${config.verify_ca_path}: ${(error as Error).message}`,
        ]);
      }
    }
    const tls: TlsOptions = { ca, verify: config.verify_peer };
    const needsSession = context.cinder === undefined || context.nova === undefined;
    const session = needsSession
      ? new OpenStackSession(config, tls, { send, clock, logger, metrics: context.metrics })
      : undefined;
    return new CinderDriver(config, clusterId, {
      cinder: context.cinder ?? new PkgcloudCinderClient(session as OpenStackSession),
      nova: context.nova ?? new PkgcloudNovaClient(session as OpenStackSession),
      exec: context.exec ?? execCommand,
      clock,
      send,
      localAddresses: context.localAddresses ?? hostAddresses,
      logger,
      ...(context.deviceFs === undefined ? {} : { deviceFs: context.deviceFs }),
    });
  }

  async allocationUnit(): Promise<number> {
    return GIB;
  }

  computeInstanceId(): Promise<string> {
    this.#instanceId ??= discoverInstanceId(this.#config, this.#deps).catch((error: unknown) => {
      this.#instanceId = undefined; // the next call looks again
      throw error;
    });
    return this.#instanceId;
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
    const volumeType = this.#config.volume_types[profileName];
    if (
      volumeType === undefined &&
      !(MANDATORY_PROFILES as readonly string[]).includes(resolveProfileAlias(profileName))
    ) {
      throw new InvalidConfigError([`profile ${JSON.stringify(profileName)}: no volume_types entry for it`]);
    }
    const name = `${VOLUME_NAME_PREFIX}${datasetId}`;
    const metadata = { [CLUSTER_ID_LABEL]: this.#clusterId, [DATASET_ID_LABEL]: datasetId };
    const failed: string[] = [];
    for (let attempt = 1; ; attempt += 1) {
      // A create whose reply was lost (timeout, 5xx) may have made the volume: find it before making another.
      const found = await this.#sameName(name, metadata);
      let volume = found;
      if (found?.status === 'error') {
        // Plain `error` is where a failed create ends (later failures have statuses of their own): no data.
        await this.#discard(found.id);
        volume = undefined;
      } else if (found?.status.startsWith('error')) {
        throw new BackendError(
          'createVolume',
          `volume ${found.id} named ${name} is ${found.status}: it may hold data, so it is neither used nor replaced`,
        );
      } else if (found !== undefined && (found.sizeGiB * GIB !== size || found.attachments.length > 0)) {
        throw new DatasetExistsError(datasetId, found.id);
      }
      if (volume === undefined) {
        try {
          volume = await this.#deps.cinder.createVolume({
            name,
            sizeGiB: size / GIB,
            metadata,
            volumeType,
            availabilityZone: this.#config.availability_zone,
          });
        } catch (error) {
          if (attempt >= MUTATION_ATTEMPTS || !mayHaveApplied(error)) throw error;
          continue;
        }
      }
      try {
        return this.#toBlockDeviceVolume(await this.#waits.created(volume.id));
      } catch (error) {
        // Cinder will not bring an `error` volume back: delete it at once, and try a new one.
        if (!(error instanceof VolumeStateError && error.status === 'error')) throw error;
        await this.#discard(volume.id);
        failed.push(volume.id);
        if (attempt >= MUTATION_ATTEMPTS) {
          throw new BackendError('createVolume', `volumes ${failed.join(', ')} ended in error (deleted)`);
        }
      }
    }
  }

  async destroyVolume(blockDeviceId: string): Promise<void> {
    const volume = await this.#ownVolume(blockDeviceId);
    if (volume.attachments.length > 0 || ATTACHED_STATES.has(volume.status)) {
      throw new AlreadyAttachedError(blockDeviceId, volume.attachments[0]?.serverId ?? null);
    }
    if (volume.status === 'creating') await this.#waits.created(blockDeviceId);
    try {
      await this.#deps.cinder.deleteVolume(blockDeviceId);
    } catch (error) {
      if (hasCode(error, 'UNKNOWN_VOLUME')) return; // a retried DELETE whose first try went through
      throw error;
    }
    await this.#waits.deleted(blockDeviceId);
  }

  async attachVolume(blockDeviceId: string, attachTo: string): Promise<BlockDeviceVolume> {
    const volume = await this.#ownVolume(blockDeviceId);
    if (volume.attachments.length > 0 || ATTACHED_STATES.has(volume.status)) {
      throw new AlreadyAttachedError(blockDeviceId, volume.attachments[0]?.serverId ?? null);
    }
    if (volume.status === 'creating') await this.#waits.created(blockDeviceId);
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.#deps.nova.attachVolume(attachTo, blockDeviceId);
        break;
      } catch (error) {
        if (attempt >= MUTATION_ATTEMPTS || !mayHaveApplied(error)) throw error;
        // Nova may have taken the request before its reply was lost: then Cinder shows the volume on its way.
        const now = await this.#deps.cinder.getVolume(blockDeviceId);
        if (ATTACHED_STATES.has(now.status)) break;
      }
    }
    const attached = await this.#waits.attached(blockDeviceId).catch(async (error: unknown) => {
      if (!(error instanceof TimeoutError)) throw error;
      // Stuck on the way: undo it, so that the next call starts from `available` (cinder-csi does the same).
      const undone = await this.#detachFrom(attachTo, blockDeviceId).then(
        () => 'detached again',
        (undo: unknown) => `and undoing it failed: ${(undo as Error).message}`,
      );
      throw new TimeoutError(`${error.what} (stuck; ${undone})`, error.timeoutMs, error.lastState);
    });
    const server = attached.attachments[0]?.serverId;
    if (server !== attachTo) {
      throw new BackendError(
        'attachVolume',
        `volume ${blockDeviceId} went in-use attached to ${server}, not ${attachTo}`,
      );
    }
    return this.#toBlockDeviceVolume(attached);
  }

  async detachVolume(blockDeviceId: string): Promise<void> {
    let volume = await this.#ownVolume(blockDeviceId);
    if (volume.attachments.length === 0 && (volume.status === 'reserved' || volume.status === 'attaching')) {
      // An attach in flight has no attachment record yet; let it finish so that there is something to detach.
      volume = await this.#waits.attached(blockDeviceId);
    }
    const server = volume.attachments[0]?.serverId;
    if (server === undefined) throw new UnattachedVolumeError(blockDeviceId);
    if (volume.status === 'detaching') await this.#waits.detached(blockDeviceId);
    else await this.#detachFrom(server, blockDeviceId);
    if (server === (await this.computeInstanceId())) await this.#waits.deviceGone(blockDeviceId);
  }

  async listVolumes(): Promise<readonly BlockDeviceVolume[]> {
    const volumes = await this.#deps.cinder.listVolumes({
      metadata: { [CLUSTER_ID_LABEL]: this.#clusterId },
    });
    return volumes.flatMap((volume) =>
      volume.status === 'deleting' || !isUuid(volume.metadata[DATASET_ID_LABEL])
        ? []
        : [this.#toBlockDeviceVolume(volume)],
    );
  }

  async getDevicePath(blockDeviceId: string): Promise<string> {
    const volume = await this.#ownVolume(blockDeviceId);
    const here = await this.computeInstanceId();
    const attachment = volume.attachments.find((candidate) => candidate.serverId === here);
    if (volume.status !== 'in-use' || attachment === undefined) {
      throw new UnattachedVolumeError(blockDeviceId, 'is not attached to this node');
    }
    return findDevice(
      this.#config.device_root,
      blockDeviceId,
      volume.sizeGiB * GIB,
      this.#config.timeouts.device_ms,
      this.#deps,
      attachment.device,
    );
  }

  async listLiveNodes(): Promise<readonly string[]> {
    return (await this.#deps.nova.listActiveServers()).map((server) => server.id);
  }

  async startNode(nodeId: string): Promise<void> {
    await this.#deps.nova.startServer(nodeId);
  }

  // --- internals ---

  /** The volume when it exists and belongs to this cluster; any other is `UNKNOWN_VOLUME` to this API. */
  async #ownVolume(blockDeviceId: string): Promise<CinderVolume> {
    if (!VOLUME_ID.test(blockDeviceId)) throw new UnknownVolumeError(blockDeviceId);
    const volume = await this.#waits.volume(blockDeviceId);
    if (
      volume.metadata[CLUSTER_ID_LABEL] !== this.#clusterId ||
      !isUuid(volume.metadata[DATASET_ID_LABEL]) ||
      volume.status === 'deleting'
    ) {
      throw new UnknownVolumeError(blockDeviceId);
    }
    return volume;
  }

  /** The one volume of this cluster named `name`, unless it is being deleted. */
  async #sameName(
    name: string,
    metadata: Readonly<Record<string, string>>,
  ): Promise<CinderVolume | undefined> {
    const existing = (await this.#deps.cinder.listVolumes({ name, metadata })).filter(
      (volume) => volume.status !== 'deleting',
    );
    if (existing.length > 1) {
      throw new BackendError(
        'createVolume',
        `${existing.length} volumes named ${name} exist in this cluster`,
      );
    }
    return existing[0];
  }

  /** Deletes a volume this driver gave up on; one already gone is fine. */
  async #discard(volumeId: string): Promise<void> {
    await this.#deps.cinder.deleteVolume(volumeId).catch((error: unknown) => {
      if (!hasCode(error, 'UNKNOWN_VOLUME')) throw error;
    });
  }

  /**
   * Asks Nova to detach the volume from `server` and waits until it is `available`. Nova's "not attached
   * there" is `UNATTACHED` (or `UNKNOWN_VOLUME` once the volume is gone) at once, whatever Cinder still shows.
   */
  async #detachFrom(server: string, blockDeviceId: string): Promise<void> {
    try {
      await this.#deps.nova.detachVolume(server, blockDeviceId);
    } catch (error) {
      if (!hasCode(error, 'UNATTACHED')) throw error;
      const now = await this.#ownVolume(blockDeviceId);
      throw new UnattachedVolumeError(
        blockDeviceId,
        `is not attached to server ${server} as Nova says (Cinder shows it ${now.status})`,
      );
    }
    await this.#waits.detached(blockDeviceId);
  }

  #toBlockDeviceVolume(volume: CinderVolume): BlockDeviceVolume {
    return blockDeviceVolume({
      blockDeviceId: volume.id,
      size: volume.sizeGiB * GIB,
      attachedTo: volume.attachments[0]?.serverId ?? null,
      datasetId: volume.metadata[DATASET_ID_LABEL] ?? '',
    });
  }
}
