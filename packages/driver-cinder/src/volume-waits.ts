import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BackendError, type Clock, hasCode, type PollResult, waitFor } from '@flockerjs/core-interface';
import type { CinderClient, CinderVolume } from './cinder-client.js';
import type { CinderConfig } from './config.js';
import { byIdNames } from './device/discovery.js';
import { isRetryable } from './openstack-error.js';

export interface WaitContext {
  readonly cinder: CinderClient;
  readonly config: CinderConfig;
  readonly clock: Clock;
}

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
 * Every wait of the driver: `volumes/{id}` polls from 100 ms, backed off to 2 s, bounded by `timeouts`; a
 * throttled or failed poll counts as "not yet". Each wait lists the states on the way; any other is final.
 */
export class VolumeWaits {
  readonly #context: WaitContext;

  constructor(context: WaitContext) {
    this.#context = context;
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
    await this.#wait(`volume ${volumeId} to be deleted`, this.#timeouts.destroy_ms, async () => {
      try {
        const { status } = await this.#context.cinder.getVolume(volumeId);
        if (status === 'error_deleting') throw new VolumeStateError(volumeId, status, 'deleted');
        return { done: false, state: status };
      } catch (error) {
        if (hasCode(error, 'UNKNOWN_VOLUME')) return { done: true, value: undefined };
        throw error;
      }
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
    return this.#wait(`volume ${volumeId} to become ${want}`, timeoutMs, async () => {
      const volume = await this.#context.cinder.getVolume(volumeId);
      if (volume.status === want) return { done: true, value: volume };
      if (!transient.includes(volume.status)) throw new VolumeStateError(volumeId, volume.status, want);
      return { done: false, state: volume.status };
    });
  }

  #wait<T>(what: string, timeoutMs: number, poll: () => Promise<PollResult<T>>): Promise<T> {
    // cinder-csi polls from 1 s; a first look after 100 ms keeps fast clouds (and the emulator) fast.
    return waitFor({
      what,
      timeoutMs,
      poll,
      intervalMs: 100,
      factor: 1.5,
      maxIntervalMs: 2_000,
      retryable: (error) => isRetryable(error, true),
      clock: this.#context.clock,
    });
  }
}
