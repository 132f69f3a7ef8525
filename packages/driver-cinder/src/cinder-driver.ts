import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
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
  UnattachedVolumeError,
  UnknownVolumeError,
  waitFor,
} from '@flockerjs/core-interface';
import { type CinderClient, type CinderVolume, PkgcloudCinderClient } from './cinder-client.js';
import type { CinderConfig } from './config.js';
import { byIdNames, findDevice } from './device/discovery.js';
import { type HttpSend, sendHttp, type TlsOptions } from './http.js';
import { discoverInstanceId, hostAddresses } from './instance-id.js';
import { type NovaClient, PkgcloudNovaClient } from './nova-client.js';
import { isRetryable, mayHaveApplied, OpenStackCallError } from './openstack-error.js';
import { OpenStackSession } from './openstack-session.js';

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
/** Statuses a volume passes through while Nova attaches it (`reserved` is Cinder's since the attachments API). */
const ATTACHING = ['available', 'reserved', 'attaching'] as const;
const ATTACHED_STATES: ReadonlySet<string> = new Set(['reserved', 'attaching', 'in-use', 'detaching']);

export interface CinderDeps {
  readonly cinder: CinderClient;
  readonly nova: NovaClient;
  readonly exec: Exec;
  readonly clock: Clock;
  readonly send: HttpSend;
  readonly localAddresses: () => readonly string[];
  readonly logger: Logger;
}

export interface OpenOptions {
  /** This cluster's id: volumes carry it, and only volumes carrying it are this API's. */
  readonly clusterId: string;
  readonly logger?: Logger;
  /** Replacements for the production dependencies (an emulator-pointed `send`, a fake clock, …). */
  readonly deps?: Partial<CinderDeps>;
}

export class CinderDriver implements IProfiledBlockDeviceAPI, ICloudAPI {
  readonly capabilities: Capabilities = Object.freeze({
    profiles: true,
    cloudApi: true,
    startNode: false,
    resize: false,
  });
  readonly #config: CinderConfig;
  readonly #clusterId: string;
  readonly #deps: CinderDeps;
  #instanceId: Promise<string> | undefined;

  constructor(config: CinderConfig, clusterId: string, deps: CinderDeps) {
    this.#config = Object.freeze(structuredClone(config));
    this.#clusterId = clusterId;
    this.#deps = deps;
  }

  /** A driver with production dependencies (pkgcloud over HTTP, `/dev`, the real clock) unless replaced. */
  static async open(config: CinderConfig, options: OpenOptions): Promise<CinderDriver> {
    if (!isUuid(options.clusterId)) throw new InvalidConfigError([`cluster id: expected a UUID`]);
    const logger = options.deps?.logger ?? options.logger ?? silentLogger;
    const clock = options.deps?.clock ?? systemClock;
    const send = options.deps?.send ?? sendHttp;
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
    const needsSession = options.deps?.cinder === undefined || options.deps.nova === undefined;
    const session = needsSession ? new OpenStackSession(config, tls, { send, clock, logger }) : undefined;
    return new CinderDriver(config, options.clusterId, {
      cinder: options.deps?.cinder ?? new PkgcloudCinderClient(session as OpenStackSession),
      nova: options.deps?.nova ?? new PkgcloudNovaClient(session as OpenStackSession),
      exec: options.deps?.exec ?? execCommand,
      clock,
      send,
      localAddresses: options.deps?.localAddresses ?? hostAddresses,
      logger,
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
    let created: CinderVolume | undefined;
    for (let attempt = 1; created === undefined; attempt += 1) {
      // A create whose reply was lost (timeout, 5xx) may have made the volume: find it before making another.
      const existing = await this.#deps.cinder.listVolumes({ name, metadata });
      if (existing.length > 1) {
        throw new BackendError(
          'createVolume',
          `${existing.length} volumes named ${name} exist in this cluster`,
        );
      }
      const [found] = existing;
      if (found !== undefined) {
        if (found.sizeGiB * GIB !== size || found.attachments.length > 0)
          throw new DatasetExistsError(datasetId, found.id);
        created = found;
        break;
      }
      try {
        created = await this.#deps.cinder.createVolume({
          name,
          sizeGiB: size / GIB,
          metadata,
          volumeType,
          availabilityZone: this.#config.availability_zone,
        });
      } catch (error) {
        if (attempt >= MUTATION_ATTEMPTS || !mayHaveApplied(error)) throw error;
      }
    }
    const ready = await this.#waitFor(created.id, 'available', ['creating'], this.#config.timeouts.create_ms);
    return this.#toBlockDeviceVolume(ready);
  }

  async destroyVolume(blockDeviceId: string): Promise<void> {
    let volume = await this.#ownVolume(blockDeviceId);
    if (volume.attachments.length > 0 || ATTACHED_STATES.has(volume.status)) {
      throw new AlreadyAttachedError(blockDeviceId, volume.attachments[0]?.serverId ?? null);
    }
    if (volume.status === 'creating') {
      volume = await this.#waitFor(blockDeviceId, 'available', ['creating'], this.#config.timeouts.create_ms);
    }
    try {
      await this.#deps.cinder.deleteVolume(blockDeviceId);
    } catch (error) {
      if (hasCode(error, 'UNKNOWN_VOLUME')) return; // a retried DELETE whose first try went through
      throw error;
    }
    await waitFor({
      what: `volume ${blockDeviceId} to be deleted`,
      timeoutMs: this.#config.timeouts.destroy_ms,
      ...this.#pollTiming(),
      retryable: (error) => isRetryable(error, true),
      poll: async () => {
        try {
          const { status } = await this.#deps.cinder.getVolume(blockDeviceId);
          if (status === 'error_deleting') throw this.#unexpected(blockDeviceId, 'deleted', status);
          return { done: false, state: status };
        } catch (error) {
          if (hasCode(error, 'UNKNOWN_VOLUME')) return { done: true, value: undefined };
          throw error;
        }
      },
    });
  }

  async attachVolume(blockDeviceId: string, attachTo: string): Promise<BlockDeviceVolume> {
    let volume = await this.#ownVolume(blockDeviceId);
    if (volume.attachments.length > 0 || ATTACHED_STATES.has(volume.status)) {
      throw new AlreadyAttachedError(blockDeviceId, volume.attachments[0]?.serverId ?? null);
    }
    if (volume.status === 'creating') {
      volume = await this.#waitFor(blockDeviceId, 'available', ['creating'], this.#config.timeouts.create_ms);
    }
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.#deps.nova.attachVolume(attachTo, blockDeviceId);
        break;
      } catch (error) {
        if (
          error instanceof OpenStackCallError &&
          error.status === 400 &&
          /already attached/.test(error.detail)
        ) {
          throw new AlreadyAttachedError(blockDeviceId, null);
        }
        if (attempt >= MUTATION_ATTEMPTS || !mayHaveApplied(error)) throw error;
        // Nova may have taken the request before its reply was lost: then Cinder shows the volume on its way.
        const now = await this.#deps.cinder.getVolume(blockDeviceId);
        if (ATTACHED_STATES.has(now.status)) break;
      }
    }
    const attached = await this.#waitFor(blockDeviceId, 'in-use', ATTACHING, this.#config.timeouts.attach_ms);
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
      volume = await this.#waitFor(blockDeviceId, 'in-use', ATTACHING, this.#config.timeouts.attach_ms);
    }
    const server = volume.attachments[0]?.serverId;
    if (server === undefined) throw new UnattachedVolumeError(blockDeviceId);
    if (volume.status !== 'detaching') {
      try {
        await this.#deps.nova.detachVolume(server, blockDeviceId);
      } catch (error) {
        // 404: no longer attached there, say after a retried DELETE whose first try went through.
        if (!(error instanceof OpenStackCallError && error.status === 404)) throw error;
      }
    }
    await this.#waitFor(blockDeviceId, 'available', ['in-use', 'detaching'], this.#config.timeouts.detach_ms);
    if (server === (await this.computeInstanceId())) await this.#waitDeviceGone(blockDeviceId);
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
    if (
      volume.status !== 'in-use' ||
      !volume.attachments.some((attachment) => attachment.serverId === here)
    ) {
      throw new UnattachedVolumeError(blockDeviceId, 'is not attached to this node');
    }
    return findDevice(
      this.#config.device_root,
      blockDeviceId,
      volume.sizeGiB * GIB,
      this.#config.timeouts.device_ms,
      this.#deps,
    );
  }

  async listLiveNodes(): Promise<readonly string[]> {
    return (await this.#deps.nova.listActiveServers()).map((server) => server.id);
  }

  // --- internals ---

  /** The volume when it exists and belongs to this cluster; any other is `UNKNOWN_VOLUME` to this API. */
  async #ownVolume(blockDeviceId: string): Promise<CinderVolume> {
    if (!VOLUME_ID.test(blockDeviceId)) throw new UnknownVolumeError(blockDeviceId);
    const volume = await this.#deps.cinder.getVolume(blockDeviceId);
    if (
      volume.metadata[CLUSTER_ID_LABEL] !== this.#clusterId ||
      !isUuid(volume.metadata[DATASET_ID_LABEL]) ||
      volume.status === 'deleting'
    ) {
      throw new UnknownVolumeError(blockDeviceId);
    }
    return volume;
  }

  /** Polls until the volume is `want`, through `transient` states only, within `timeoutMs` (also when stuck). */
  async #waitFor(
    blockDeviceId: string,
    want: string,
    transient: readonly string[],
    timeoutMs: number,
  ): Promise<CinderVolume> {
    return waitFor({
      what: `volume ${blockDeviceId} to become ${want}`,
      timeoutMs,
      ...this.#pollTiming(),
      retryable: (error) => isRetryable(error, true),
      poll: async () => {
        const volume = await this.#deps.cinder.getVolume(blockDeviceId);
        if (volume.status === want) return { done: true, value: volume };
        if (!transient.includes(volume.status)) throw this.#unexpected(blockDeviceId, want, volume.status);
        return { done: false, state: volume.status };
      },
    });
  }

  #pollTiming(): { intervalMs: number; factor: number; maxIntervalMs: number; clock: Clock } {
    // cinder-csi polls from 1 s; a first look after 100 ms keeps fast clouds (and the emulator) fast.
    return { intervalMs: 100, factor: 1.5, maxIntervalMs: 2_000, clock: this.#deps.clock };
  }

  async #waitDeviceGone(blockDeviceId: string): Promise<void> {
    const links = byIdNames(blockDeviceId).map((name) =>
      join(this.#config.device_root, 'disk', 'by-id', name),
    );
    await waitFor({
      what: `the device of volume ${blockDeviceId} to go from this node`,
      timeoutMs: this.#config.timeouts.device_ms,
      ...this.#pollTiming(),
      poll: async () => {
        const present = await Promise.all(
          links.map((link) =>
            stat(link).then(
              () => link,
              () => undefined,
            ),
          ),
        );
        const left = present.filter((link) => link !== undefined);
        return left.length === 0 ? { done: true, value: undefined } : { done: false, state: left };
      },
    });
  }

  #unexpected(blockDeviceId: string, want: string, status: string): BackendError {
    return new BackendError('wait', `volume ${blockDeviceId} is ${status} while waiting for ${want}`);
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
