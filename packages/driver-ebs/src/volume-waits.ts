import {
  BackendError,
  type Clock,
  hasCode,
  type Logger,
  type PollResult,
  SharedPoller,
  TimeoutError,
  UnknownVolumeError,
  waitFor,
} from '@flockerjs/core-interface';
import type { EbsConfig } from './config.js';
import { type DeviceFs, deviceGone, discoverDevice } from './device/discovery.js';
import { type Ec2Api, type Ec2Volume, failureOf, isTransient } from './ec2-client.js';

/** EBS sizes are whole GiB. */
export const GIB = 1024 ** 3;
/**
 * Volume ids per DescribeVolumes of a shared round (EC2 takes up to 200 values in one filter); a round with more
 * waiters makes one call per 200.
 */
export const SHARED_DESCRIBE_IDS = 200;

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

/** A volume EC2 put in `error`: terminal, so it is reported at once, never waited on. */
export class VolumeFailedError extends BackendError {
  readonly blockDeviceId: string;
  constructor(operation: string, blockDeviceId: string, detail: string) {
    super(operation, `volume ${blockDeviceId} ${detail}`);
    this.name = 'VolumeFailedError';
    this.blockDeviceId = blockDeviceId;
  }
}

/**
 * Runs `undo` after `error` and throws what the caller must know: `error` itself when the undo worked, else a
 * `BACKEND` error that names both, so a volume left attached is never a secret.
 */
export async function undoThenThrow(
  operation: string,
  error: unknown,
  undo: () => Promise<void>,
  left: string,
): Promise<never> {
  const undoError = await undo().then(
    () => undefined,
    (failure: unknown) => failure,
  );
  if (undoError === undefined) throw error;
  throw new BackendError(
    operation,
    `${(error as Error).message}; undoing it failed too (${(undoError as Error).message}), so ${left}`,
    { cause: new AggregateError([error, undoError]) },
  );
}

/**
 * Every wait of the driver: short DescribeVolumes polls backed off by `polling`, bounded by `timeouts`, and
 * throttling or 5xx on a poll count as "not yet" (the SDK waiters' fixed 15 s polls are far too coarse). A
 * terminal state (`error`) ends a wait at once. Volume waits and lookups of one driver share their polls: each
 * round is one DescribeVolumes (a `volume-id` filter) for every volume waited on, and a volume missing from it
 * is what `InvalidVolume.NotFound` was for a describe of that volume alone.
 */
export class VolumeWaits {
  readonly #context: WaitContext;
  readonly #volumes: SharedPoller<Ec2Volume>;

  constructor(context: WaitContext) {
    this.#context = context;
    const { interval_ms, factor, max_interval_ms } = context.config.polling;
    this.#volumes = new SharedPoller({
      fetch: (ids) => this.#describe(ids),
      intervalMs: interval_ms,
      factor,
      maxIntervalMs: max_interval_ms,
      retryable: isTransient,
      clock: context.clock,
    });
  }

  /** Rounds of shared DescribeVolumes so far. */
  get describeRounds(): number {
    return this.#volumes.stats.rounds;
  }

  /**
   * The volume as the next shared round sees it.
   * @throws `UNKNOWN_VOLUME` when EC2 does not list it; the round's failure (`BACKEND`) when it failed.
   */
  async volume(volumeId: string): Promise<Ec2Volume> {
    const volume = await this.#volumes.look(volumeId);
    if (volume === undefined) throw new UnknownVolumeError(volumeId);
    return volume;
  }

  /** @throws {@link VolumeFailedError} as soon as the volume is in `error`. */
  async available(volumeId: string): Promise<void> {
    await this.#shared(
      `volume ${volumeId} to become available`,
      volumeId,
      this.#timeouts.create_ms,
      (volume) => {
        // Right after creation DescribeVolumes may not list the volume yet: eventual consistency, not absence.
        if (volume?.state === 'error') {
          throw new VolumeFailedError('createVolume', volumeId, 'went to error while being created');
        }
        return volume?.state === 'available' ? done(undefined) : pending(volume?.state ?? 'not yet listed');
      },
    );
  }

  async deleted(volumeId: string): Promise<void> {
    await this.#shared(`volume ${volumeId} to be deleted`, volumeId, this.#timeouts.destroy_ms, (now) =>
      now === undefined || now.state === 'deleted' ? done(undefined) : pending(now.state),
    );
  }

  /**
   * Waits for `attached`. An attachment still `attaching` at the bound is detached (forced) and reported as
   * `TIMEOUT`, or as `BACKEND` naming both failures when that detach fails too.
   * @throws {@link VolumeFailedError} as soon as the attach put the volume in `error`.
   */
  async attached(volumeId: string, instanceId: string, device: string): Promise<void> {
    try {
      await this.#shared(
        `volume ${volumeId} to attach to ${instanceId} as ${device}`,
        volumeId,
        this.#timeouts.attach_ms,
        (volume) => {
          if (volume === undefined) throw new UnknownVolumeError(volumeId);
          if (volume.state === 'error') {
            throw new VolumeFailedError('attachVolume', volumeId, `went to error attaching to ${instanceId}`);
          }
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
      const stuck = new TimeoutError(
        `volume ${volumeId} to attach to ${instanceId} (stuck attaching; detached again)`,
        error.timeoutMs,
        error.lastState,
      );
      await undoThenThrow(
        'attachVolume',
        stuck,
        () => this.detach(volumeId, true),
        `volume ${volumeId} may still be attaching to ${instanceId}`,
      );
    }
  }

  /**
   * Detaches from whichever instance holds the volume and waits until it is available again. `busy` (the
   * device is in use on the instance holding it) is waited through, bounded by `timeouts.detach_ms`.
   */
  async detach(volumeId: string, force = false): Promise<void> {
    // Already detaching (or detached) after an earlier call or a retried one.
    await this.#context.ec2.detachVolume(volumeId, { force }).catch((error: unknown) => {
      if (failureOf(error) !== 'incorrect-state') throw error;
    });
    await this.#shared(`volume ${volumeId} to detach`, volumeId, this.#timeouts.detach_ms, (volume) => {
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

  #shared<T>(
    what: string,
    volumeId: string,
    timeoutMs: number,
    check: (volume: Ec2Volume | undefined) => PollResult<T>,
  ): Promise<T> {
    return this.#volumes.wait({ what, key: volumeId, check, timeoutMs });
  }

  /** One round's look: every id, through the `volume-id` filter, page by page; gone volumes are left out. */
  async #describe(ids: readonly string[]): Promise<ReadonlyMap<string, Ec2Volume>> {
    const found = new Map<string, Ec2Volume>();
    for (let start = 0; start < ids.length; start += SHARED_DESCRIBE_IDS) {
      const filters = [{ name: 'volume-id', values: ids.slice(start, start + SHARED_DESCRIBE_IDS) }];
      let nextToken: string | undefined;
      do {
        const page = await this.#context.ec2.describeVolumes(
          filters,
          this.#context.config.page_size,
          nextToken,
        );
        for (const volume of page.items) found.set(volume.id, volume);
        nextToken = page.nextToken;
      } while (nextToken !== undefined);
    }
    return found;
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
