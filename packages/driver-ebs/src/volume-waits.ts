import {
  type Clock,
  hasCode,
  type Logger,
  type PollResult,
  TimeoutError,
  waitFor,
} from '@flockerjs/core-interface';
import type { EbsConfig } from './config.js';
import { type DeviceFs, deviceGone, discoverDevice } from './device/discovery.js';
import { type Ec2Api, Ec2CallError, isTransient } from './ec2-client.js';

/** EBS sizes are whole GiB. */
export const GIB = 1024 ** 3;

export interface WaitContext {
  readonly ec2: Ec2Api;
  readonly config: EbsConfig;
  readonly fs: DeviceFs;
  readonly sysfsRoot: string;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Logged-as name of the driver. */
  readonly driverName: string;
}

/**
 * Every wait of the driver: short DescribeVolumes polls backed off by `polling`, bounded by `timeouts`, and
 * throttling or 5xx on a poll count as "not yet" (the SDK waiters' fixed 15 s polls are far too coarse).
 */
export class VolumeWaits {
  readonly #context: WaitContext;

  constructor(context: WaitContext) {
    this.#context = context;
  }

  async available(volumeId: string): Promise<void> {
    await this.#wait(`volume ${volumeId} to become available`, this.#timeouts.create_ms, async () => {
      // Right after creation DescribeVolumes may not know the volume yet: eventual consistency, not absence.
      const volume = await this.#context.ec2.describeVolume(volumeId).catch(ignoreUnknown);
      if (volume?.state === 'error') {
        throw new Ec2CallError('CreateVolume', {
          ec2Code: 'VolumeError',
          message: 'creation failed',
          ids: [volumeId],
        });
      }
      return volume?.state === 'available' ? done(undefined) : pending(volume?.state ?? 'not yet listed');
    });
  }

  async deleted(volumeId: string): Promise<void> {
    await this.#wait(`volume ${volumeId} to be deleted`, this.#timeouts.destroy_ms, async () => {
      const now = await this.#context.ec2.describeVolume(volumeId).catch(ignoreUnknown);
      return now === undefined || now.state === 'deleted' ? done(undefined) : pending(now.state);
    });
  }

  /** Waits for `attached`; an attachment still `attaching` at the bound is detached and reported. */
  async attached(volumeId: string, instanceId: string, device: string): Promise<void> {
    try {
      await this.#wait(
        `volume ${volumeId} to attach to ${instanceId} as ${device}`,
        this.#timeouts.attach_ms,
        async () => {
          const volume = await this.#context.ec2.describeVolume(volumeId);
          const attachment = volume.attachments.find((a) => a.instanceId === instanceId);
          return attachment?.state === 'attached'
            ? done(undefined)
            : pending(attachment?.state ?? 'not yet listed');
        },
      );
    } catch (error) {
      if (!(error instanceof TimeoutError)) throw error;
      // Stuck in attaching: EC2 will not finish it, so undo it and let the next call start clean
      // (the EBS CSI driver's stuckAttachingTimeout).
      this.#context.logger.message(
        `${this.#context.driverName}:stuck_attaching`,
        { volumeId, instanceId, device },
        'error',
      );
      await this.detach(volumeId, true).catch(() => {});
      throw new TimeoutError(
        `volume ${volumeId} to attach to ${instanceId} (stuck attaching; detached again)`,
        error.timeoutMs,
        error.lastState,
      );
    }
  }

  /** Detaches from whichever instance holds the volume and waits until it is available again. */
  async detach(volumeId: string, force = false): Promise<void> {
    // IncorrectState: already detaching (or detached) after an earlier call or a retried one.
    await this.#context.ec2.detachVolume(volumeId, { force }).catch((error: unknown) => {
      if (!(error instanceof Ec2CallError && error.ec2Code === 'IncorrectState')) throw error;
    });
    await this.#wait(`volume ${volumeId} to detach`, this.#timeouts.detach_ms, async () => {
      const volume = await this.#context.ec2.describeVolume(volumeId).catch(ignoreUnknown);
      if (volume === undefined) return done(undefined);
      return volume.attachments.length === 0 && volume.state === 'available'
        ? done(undefined)
        : pending(volume.attachments[0]?.state ?? volume.state);
    });
  }

  /** The volume's device on this node, once it is there with the volume's exact size. */
  async device(volumeId: string, device: string, sizeGiB: number): Promise<string> {
    const options = {
      root: this.#context.config.device_root,
      sysfsRoot: this.#context.sysfsRoot,
      volumeId,
      requestedDevice: device,
      sizeBytes: sizeGiB * GIB,
    };
    return this.#wait(
      `the device of ${volumeId} (${device}) to appear on this node`,
      this.#timeouts.device_ms,
      async () => {
        const found = await discoverDevice(this.#context.fs, options);
        return 'found' in found ? done(found.found) : pending(found.missing);
      },
    );
  }

  async deviceGone(volumeId: string, device: string): Promise<void> {
    const options = { root: this.#context.config.device_root, volumeId, requestedDevice: device };
    await this.#wait(`the device of ${volumeId} to go`, this.#timeouts.device_ms, async () =>
      (await deviceGone(this.#context.fs, options)) ? done(undefined) : pending('device still present'),
    );
  }

  get #timeouts(): EbsConfig['timeouts'] {
    return this.#context.config.timeouts;
  }

  #wait<T>(what: string, timeoutMs: number, poll: () => Promise<PollResult<T>>): Promise<T> {
    const { interval_ms, factor, max_interval_ms } = this.#context.config.polling;
    return waitFor({
      what,
      poll,
      timeoutMs,
      intervalMs: interval_ms,
      factor,
      maxIntervalMs: max_interval_ms,
      retryable: isTransient,
      clock: this.#context.clock,
    });
  }
}

function done<T>(value: T): PollResult<T> {
  return { done: true, value };
}

function pending<T>(state: unknown): PollResult<T> {
  return { done: false, state };
}

/** For describes where "no such volume" is an answer, not a failure. */
export function ignoreUnknown(error: unknown): undefined {
  if (!hasCode(error, 'UNKNOWN_VOLUME')) throw error;
  return undefined;
}
