import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  BackendError,
  type Clock,
  hasCode,
  type PollResult,
  SharedPoller,
  UnknownVolumeError,
  waitFor,
} from '@flockerjs/core-interface';
import type { CinderClient, CinderVolume } from './cinder-client.js';
import type { CinderConfig } from './config.js';
import { byIdNames } from './device/discovery.js';
import { isRetryable, OpenStackCallError } from './openstack-error.js';

export interface WaitContext {
  readonly cinder: CinderClient;
  readonly config: CinderConfig;
  readonly clock: Clock;
  /** The metadata every volume of this cluster carries: what a shared round lists. */
  readonly clusterMetadata: Readonly<Record<string, string>>;
}

/** Polling of every wait: from 100 ms, backed off by 1.5 to 2 s. */
const POLLING = { intervalMs: 100, factor: 1.5, maxIntervalMs: 2_000 } as const;

/**
 * A volume that reached a status its wait does not lead through: `error` after a create, `available` again
 * after an attach (Nova rolled it back), `in-use` again after a detach (the guest kept the disk). `BACKEND`,
 * at once: no wait retries a state Cinder will not leave by itself.
 */
export class VolumeStateError extends BackendError {
  readonly volumeId: string;
  readonly status: string;
  constructor(volumeId: string, status: string, waitingFor: string) {
    super('wait', `volume ${volumeId} is ${status} while waiting for it to become ${waitingFor}`);
    this.name = 'VolumeStateError';
    this.volumeId = volumeId;
    this.status = status;
  }
}

/**
 * Every wait of the driver: polls from 100 ms, backed off to 2 s, bounded by `timeouts`; a throttled or failed
 * poll counts as "not yet", and a 429's `Retry-After` delays the next one. Each wait lists the states on the
 * way; any other is final. Concurrent waits and lookups share their polls: a round with one volume is
 * `GET volumes/{id}`, with more it is one listing of this cluster's volumes (`volumes/detail` filtered by the
 * cluster's metadata), and a volume missing from it is what a 404 was for that volume alone.
 */
export class VolumeWaits {
  readonly #context: WaitContext;
  readonly #volumes: SharedPoller<CinderVolume>;

  constructor(context: WaitContext) {
    this.#context = context;
    this.#volumes = new SharedPoller({
      fetch: (ids) => this.#look(ids),
      ...POLLING,
      retryable: (error) => isRetryable(error, true),
      retryAfterMs: (error) => (error instanceof OpenStackCallError ? error.retryAfterMs : undefined),
      clock: context.clock,
    });
  }

  /** Rounds of shared polls so far. */
  get pollRounds(): number {
    return this.#volumes.stats.rounds;
  }

  /**
   * The volume as the next shared round sees it.
   * @throws `UNKNOWN_VOLUME` when Cinder does not have it (in this cluster); the round's failure otherwise.
   */
  async volume(volumeId: string): Promise<CinderVolume> {
    const volume = await this.#volumes.look(volumeId);
    if (volume === undefined) throw new UnknownVolumeError(volumeId);
    return volume;
  }

  /** A new volume leaves `creating`. */
  async created(volumeId: string): Promise<CinderVolume> {
    return this.#status(volumeId, 'available', ['creating'], this.#timeouts.create_ms);
  }

  /** After Nova took the attach: through `available` (not yet reserved), `reserved` and `attaching`. */
  async attached(volumeId: string): Promise<CinderVolume> {
    return this.#status(volumeId, 'in-use', ['available', 'reserved', 'attaching'], this.#timeouts.attach_ms);
  }

  /**
   * After Nova took the detach (it marks the volume `detaching` before it answers): through `detaching`;
   * `in-use` again means the guest kept the disk and Nova rolled the detach back.
   */
  async detached(volumeId: string): Promise<CinderVolume> {
    return this.#status(volumeId, 'available', ['detaching'], this.#timeouts.detach_ms);
  }

  /** A deleted volume disappears; `error_deleting` is final. */
  async deleted(volumeId: string): Promise<void> {
    await this.#volumes.wait({
      what: `volume ${volumeId} to be deleted`,
      key: volumeId,
      timeoutMs: this.#timeouts.destroy_ms,
      check: (volume) => {
        if (volume === undefined) return { done: true, value: undefined };
        if (volume.status === 'error_deleting')
          throw new VolumeStateError(volumeId, volume.status, 'deleted');
        return { done: false, state: volume.status };
      },
    });
  }

  /** The volume's by-id links are gone from this node. */
  async deviceGone(volumeId: string): Promise<void> {
    const root = this.#context.config.device_root;
    const links = byIdNames(volumeId).map((name) => join(root, 'disk', 'by-id', name));
    await this.#wait(
      `the device of volume ${volumeId} to go from this node`,
      this.#timeouts.device_ms,
      async () => {
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
    );
  }

  get #timeouts(): CinderConfig['timeouts'] {
    return this.#context.config.timeouts;
  }

  /** Polls until the volume is `want`, through `transient` states only; any other status ends the wait. */
  async #status(
    volumeId: string,
    want: string,
    transient: readonly string[],
    timeoutMs: number,
  ): Promise<CinderVolume> {
    return this.#volumes.wait({
      what: `volume ${volumeId} to become ${want}`,
      key: volumeId,
      timeoutMs,
      check: (volume) => {
        if (volume === undefined) throw new UnknownVolumeError(volumeId);
        if (volume.status === want) return { done: true, value: volume };
        if (!transient.includes(volume.status)) throw new VolumeStateError(volumeId, volume.status, want);
        return { done: false, state: volume.status };
      },
    });
  }

  /** One round's look: one GET for a single volume, else one listing of the cluster's volumes. */
  async #look(ids: readonly string[]): Promise<ReadonlyMap<string, CinderVolume>> {
    const [only] = ids;
    if (ids.length === 1 && only !== undefined) {
      const volume = await this.#context.cinder.getVolume(only).catch((error: unknown) => {
        if (hasCode(error, 'UNKNOWN_VOLUME')) return undefined;
        throw error;
      });
      return new Map(volume === undefined ? [] : [[only, volume]]);
    }
    const wanted = new Set(ids);
    const listed = await this.#context.cinder.listVolumes({ metadata: this.#context.clusterMetadata });
    return new Map(listed.filter((volume) => wanted.has(volume.id)).map((volume) => [volume.id, volume]));
  }

  #wait<T>(what: string, timeoutMs: number, poll: () => Promise<PollResult<T>>): Promise<T> {
    // cinder-csi polls from 1 s; a first look after 100 ms keeps fast clouds (and the emulator) fast.
    return waitFor({
      what,
      timeoutMs,
      poll,
      ...POLLING,
      retryable: (error) => isRetryable(error, true),
      clock: this.#context.clock,
    });
  }
}
