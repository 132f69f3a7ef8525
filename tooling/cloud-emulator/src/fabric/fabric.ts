import { randomBytes } from 'node:crypto';
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type Exec, execCommand } from '@flockerjs/core-interface';
import { DeviceDirectory, EBS_DEVICE_NAME } from '../devices/device-directory.js';
import { attachLoopDevice, detachLoopDevice, loopDevicesUnder } from '../devices/loop-devices.js';
import { FabricError } from './fabric-error.js';
import { Faults, type LifecycleVerdict } from './faults.js';
import type {
  Attachment,
  AttachmentState,
  DeviceMode,
  Instance,
  InstanceState,
  Timings,
  Volume,
  VolumeState,
} from './types.js';

/** A state change as it happened, for tests and benchmarks that time the fabric itself. */
export interface Transition {
  readonly volumeId: string;
  readonly to: VolumeState | AttachmentState;
  readonly atMs: number;
}

/** Transition times close to EC2's medians, scaled down so that a test run stays short. */
export const DEFAULT_TIMINGS: Timings = {
  createMs: 200,
  attachMs: 200,
  detachMs: 200,
  deleteMs: 100,
  instanceMs: 200,
};
/** Every instance boots from this root device; it is never free for a data volume. */
export const ROOT_DEVICE_NAME = '/dev/xvda';
const GIB = 1024 ** 3;

export interface FabricOptions {
  /** Directory for backing files and device directories; the fabric owns it and removes it on stop. */
  readonly stateDir: string;
  readonly region: string;
  readonly zones: readonly string[];
  readonly timings?: Partial<Timings>;
  readonly faults?: Faults;
  readonly exec?: Exec;
  /**
   * Whether attachments get real devices (loop devices, device nodes: root only). Without, every state
   * machine and fault is the same but an attached volume has no device: for tests of API logic, as any user.
   * @default true
   */
  readonly devices?: boolean;
}

export interface NewInstance {
  readonly id?: string;
  /** @default the first zone */
  readonly zone?: string;
  /** @default 'nitro' */
  readonly deviceMode?: DeviceMode;
  readonly instanceType?: string;
  readonly hiddenDevices?: readonly string[];
  readonly tags?: Readonly<Record<string, string>>;
}

export interface NewVolume {
  readonly zone: string;
  readonly sizeGiB: number;
  readonly volumeType: string;
  readonly iops?: number | undefined;
  readonly throughput?: number | undefined;
  readonly tags?: Iterable<readonly [string, string]>;
}

/** A transition held by a fault until released, by a call count or by hand. */
interface Hold {
  /** The front-end call count at which it goes on; held until released when undefined. */
  readonly untilCall: number | undefined;
  readonly resume: () => void;
}

/**
 * The shared block-storage fabric: availability zones, instances, volumes and attachments with their state
 * machines and timing, and the real data path (sparse files on loop devices, exposed in each instance's
 * device directory). Front ends (EC2, OpenStack) translate their APIs to these calls and map
 * {@link FabricError} kinds to their own errors.
 *
 * Faults ({@link Faults}) are one model for every front end; each front end shows them in its own API:
 * - every call: a front end calls `faults.latencyMs(op)` and `faults.verdict(op)` once per request it
 *   receives and answers `throttle` / `fail-before` / `fail-after` with its throttling and server errors
 *   (EC2: `RequestLimitExceeded` 503, `InternalError` 500; the operation is applied before a `fail-after`).
 *   These calls are also the clock of held states below.
 * - new volumes missing from looks (`newVolumeInvisibleLooks`): a front end asks {@link Fabric.isVisible}
 *   once per volume a listing or lookup would show (EC2: `InvalidVolume.NotFound`, absent from listings).
 * - `create-error`: the volume goes `creating -> error` (EC2 `error`; Cinder `error`), `failure: 'create'`.
 * - `stuck-creating`: the volume stays `creating` (both clouds show `creating`); a delete is refused as in
 *   any transition (EC2 `IncorrectState`) until it goes on.
 * - `attach-error`: the attachment ends, the volume goes to `error` with `failure: 'attach'` (EC2 `error`
 *   with no attachment; Cinder `error_attaching` is the natural reading of `failure`).
 * - `stuck-attaching`: the attachment stays `attaching` (EC2 attachment state `attaching`; Cinder
 *   `attaching`) until detached.
 * - `busy-detach`: the device is in use on the instance: the attachment state is `busy` and the volume
 *   stays in use (EC2 attachment `busy`, volume `in-use`; Cinder/Nova: still `in-use`/`detaching`) until a
 *   forced detach.
 * - `stuck-detaching`: the attachment stays `detaching` (EC2 `detaching`; Cinder `detaching`) until a
 *   forced detach.
 * - `exhaustedVolumeTypes`: creating a volume of such a type is refused (`insufficient-capacity`; EC2
 *   `InsufficientVolumeCapacity`).
 * - instances that stop: {@link Fabric.stopInstance} (a test's fault, or the API's stop), then
 *   {@link Fabric.startInstance} (`stopped -> pending -> running`; EC2 `StartInstances`, Nova `os-start`).
 * Held states end after their schedule's `holdCalls` front-end calls, on {@link Fabric.release}, or on a
 * forced detach; {@link Faults.injected} counts each fault as it is dealt.
 */
export class Fabric {
  readonly region: string;
  readonly zones: readonly string[];
  readonly stateDir: string;
  readonly faults: Faults;
  /** Whether attachments get real devices; see {@link FabricOptions.devices}. */
  readonly devices: boolean;
  timings: Timings;
  /** Failures of background device work (losetup, mknod), for tests to assert there were none. */
  readonly backgroundErrors: unknown[] = [];
  readonly #listeners = new Set<(transition: Transition) => void>();
  readonly #exec: Exec;
  readonly #volumes = new Map<string, Volume>();
  readonly #instances = new Map<string, Instance>();
  readonly #directories = new Map<string, DeviceDirectory>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #work = new Map<string, Promise<void>>();
  readonly #holds = new Map<string, Hold>();
  #stopped = false;

  private constructor(options: FabricOptions) {
    this.region = options.region;
    this.zones = options.zones;
    this.stateDir = options.stateDir;
    this.faults = options.faults ?? new Faults();
    this.timings = { ...DEFAULT_TIMINGS, ...options.timings };
    this.#exec = options.exec ?? execCommand;
    this.devices = options.devices ?? true;
    this.faults.onCall((calls) => {
      for (const [id, hold] of this.#holds) {
        if (hold.untilCall !== undefined && calls >= hold.untilCall) this.#resume(id);
      }
    });
  }

  static async create(options: FabricOptions): Promise<Fabric> {
    await mkdir(join(options.stateDir, 'volumes'), { recursive: true });
    return new Fabric(options);
  }

  async addInstance(request: NewInstance = {}): Promise<Instance> {
    const zone = request.zone ?? this.zones[0];
    if (zone === undefined || !this.zones.includes(zone)) {
      throw new FabricError('invalid-zone', `no availability zone ${JSON.stringify(zone)}`);
    }
    const id = request.id ?? newId('i');
    const deviceMode = request.deviceMode ?? 'nitro';
    const deviceRoot = join(this.stateDir, 'instances', id, 'dev');
    const directory = new DeviceDirectory(deviceRoot, deviceMode, this.#exec);
    await directory.prepare();
    const instance: Instance = {
      id,
      zone,
      deviceMode,
      instanceType: request.instanceType ?? (deviceMode === 'nitro' ? 'm5.large' : 'm4.large'),
      state: 'running',
      launchTime: new Date(),
      tags: new Map(Object.entries(request.tags ?? {})),
      deviceRoot,
      hiddenDevices: new Set(request.hiddenDevices ?? []),
    };
    this.#instances.set(id, instance);
    this.#directories.set(id, directory);
    return instance;
  }

  instance(id: string): Instance | undefined {
    return this.#instances.get(id);
  }

  instances(): readonly Instance[] {
    return [...this.#instances.values()];
  }

  setInstanceState(id: string, state: InstanceState): void {
    this.#instance(id).state = state;
  }

  /** The instance stops (shut down from inside, or asked to): its volumes stay attached, as on EC2. */
  stopInstance(id: string): Instance {
    const instance = this.#instance(id);
    instance.state = 'stopped';
    return instance;
  }

  /** Starts a stopped instance: `pending`, then `running` after `timings.instanceMs`. Running ones stay. */
  startInstance(id: string): Instance {
    const instance = this.#instance(id);
    if (instance.state === 'running' || instance.state === 'pending') return instance;
    if (instance.state !== 'stopped') {
      throw new FabricError('instance-not-running', `instance ${id} is ${instance.state}`);
    }
    instance.state = 'pending';
    this.#after(id, this.timings.instanceMs ?? DEFAULT_TIMINGS.instanceMs ?? 0, () => {
      if (instance.state === 'pending') instance.state = 'running';
    });
    return instance;
  }

  /** Every volume that exists, visible or not; front ends hide the invisible ones. */
  volumes(): readonly Volume[] {
    return [...this.#volumes.values()];
  }

  volume(id: string): Volume | undefined {
    return this.#volumes.get(id);
  }

  /**
   * One look at the volume by a listing or a lookup: whether it shows yet (eventual consistency). A look at
   * a volume still invisible uses up one of its invisible looks.
   */
  isVisible(volume: Volume): boolean {
    if (volume.invisibleLooks <= 0) return true;
    volume.invisibleLooks -= 1;
    return false;
  }

  /** Ends held states now (one volume's, or all): each goes on with its usual transition. */
  release(volumeId?: string): void {
    for (const id of volumeId === undefined ? [...this.#holds.keys()] : [volumeId]) this.#resume(id);
  }

  /**
   * The volume disappears at once, whatever its state, as after an operator deleted it out of band: every API
   * answers "not found" for it from now on. Its device, if it had one, is released.
   */
  vanish(id: string): void {
    const volume = this.#require(id);
    clearTimeout(this.#timers.get(id));
    this.#timers.delete(id);
    this.#holds.delete(id);
    this.#volumes.delete(id);
    volume.state = 'deleted';
    const attachment = volume.attachment;
    this.#enqueue(id, async () => {
      if (attachment !== undefined) await this.#releaseDevice(attachment);
      await rm(volume.backingFile, { force: true });
    });
    this.#emit(id, 'deleted');
  }

  /** Volumes whose transition a fault holds now. */
  held(): readonly string[] {
    return [...this.#holds.keys()];
  }

  /** Device names in use on an instance: the root, hidden ones, and every current attachment. */
  devicesInUse(instanceId: string): string[] {
    const instance = this.#instances.get(instanceId);
    const attached = this.volumes().flatMap((volume) =>
      volume.attachment?.instanceId === instanceId ? [volume.attachment.device] : [],
    );
    return [ROOT_DEVICE_NAME, ...(instance?.hiddenDevices ?? []), ...attached];
  }

  createVolume(request: NewVolume): Volume {
    if (!this.zones.includes(request.zone)) {
      throw new FabricError('invalid-zone', `no availability zone ${JSON.stringify(request.zone)}`);
    }
    if (!Number.isSafeInteger(request.sizeGiB) || request.sizeGiB < 1) {
      throw new FabricError('invalid-parameter', `size ${request.sizeGiB} is not a positive number of GiB`);
    }
    if (this.faults.options.exhaustedVolumeTypes?.includes(request.volumeType)) {
      this.faults.record('exhausted');
      throw new FabricError(
        'insufficient-capacity',
        `There is not enough capacity to fulfill your ${request.volumeType} volume provision request`,
      );
    }
    const id = newId('vol');
    const now = Date.now();
    const fault = this.faults.lifecycle('create');
    const volume: Volume = {
      id,
      zone: request.zone,
      sizeGiB: request.sizeGiB,
      volumeType: request.volumeType,
      iops: request.iops,
      throughput: request.throughput,
      createTime: new Date(now),
      state: 'creating',
      tags: new Map(request.tags ?? []),
      attachment: undefined,
      invisibleLooks: this.faults.invisibleLooks(),
      failure: undefined,
      backingFile: join(this.stateDir, 'volumes', `${id}.img`),
    };
    this.#volumes.set(id, volume);
    const created = (): void => {
      if (volume.state !== 'creating') return;
      if (fault?.fault === 'create-error') {
        volume.state = 'error';
        volume.failure = 'create';
        this.#emit(id, 'error');
        return;
      }
      volume.state = 'available';
      this.#emit(id, 'available');
    };
    this.#after(id, this.timings.createMs, () =>
      fault?.fault === 'stuck-creating' ? this.#hold(id, fault, created) : created(),
    );
    return volume;
  }

  deleteVolume(id: string): Volume {
    const volume = this.#require(id);
    if (volume.state === 'in-use') throw new FabricError('volume-in-use', `volume ${id} is attached`);
    if (volume.state !== 'available' && volume.state !== 'error') {
      throw new FabricError('incorrect-state', `volume ${id} is ${volume.state}`);
    }
    volume.state = 'deleting';
    this.#holds.delete(id);
    this.#after(id, this.timings.deleteMs, () =>
      this.#enqueue(id, async () => {
        volume.state = 'deleted';
        this.#volumes.delete(id);
        this.#emit(id, 'deleted');
        await rm(volume.backingFile, { force: true });
      }),
    );
    return volume;
  }

  attachVolume(volumeId: string, instanceId: string, device: string): Attachment {
    const volume = this.#require(volumeId);
    const instance = this.#instances.get(instanceId);
    if (instance === undefined) throw new FabricError('instance-not-found', `no instance ${instanceId}`);
    if (instance.state !== 'running') {
      throw new FabricError('instance-not-running', `instance ${instanceId} is ${instance.state}`);
    }
    if (!EBS_DEVICE_NAME.test(device)) {
      throw new FabricError('invalid-device', `${device} is not a valid EBS device name`);
    }
    if (volume.zone !== instance.zone) {
      throw new FabricError(
        'zone-mismatch',
        `volume ${volumeId} (${volume.zone}) and instance ${instanceId} (${instance.zone}) are in different zones`,
      );
    }
    if (volume.state === 'in-use') {
      throw new FabricError(
        'volume-in-use',
        `volume ${volumeId} is attached to ${volume.attachment?.instanceId}`,
      );
    }
    if (volume.state !== 'available')
      throw new FabricError('incorrect-state', `volume ${volumeId} is ${volume.state}`);
    const slot = deviceSlot(device);
    if (this.devicesInUse(instanceId).some((used) => deviceSlot(used) === slot)) {
      throw new FabricError('device-in-use', `attachment point ${device} is already in use`);
    }
    const attachment: Attachment = {
      instanceId,
      device,
      state: 'attaching',
      attachTime: new Date(),
      nodes: [],
      loopDevice: undefined,
    };
    volume.state = 'in-use';
    volume.attachment = attachment;
    const fault = this.faults.lifecycle('attach');
    const attached = (): void =>
      this.#enqueue(volumeId, async () => {
        if (volume.attachment !== attachment || attachment.state !== 'attaching') return;
        if (this.devices) {
          await this.#ensureBackingFile(volume);
          attachment.loopDevice = await attachLoopDevice(this.#exec, volume.backingFile);
          attachment.nodes = await this.#directory(instanceId).add(volumeId, device, attachment.loopDevice);
        }
        if (attachment.state !== 'attaching') return;
        attachment.state = 'attached';
        this.#emit(volumeId, 'attached');
      });
    const failed = (): void => {
      if (volume.attachment !== attachment || attachment.state !== 'attaching') return;
      volume.attachment = undefined;
      volume.state = 'error';
      volume.failure = 'attach';
      this.#emit(volumeId, 'error');
    };
    this.#after(volumeId, this.timings.attachMs, () => {
      if (fault?.fault === 'attach-error') failed();
      else if (fault?.fault === 'stuck-attaching') this.#hold(volumeId, fault, attached);
      else attached();
    });
    return attachment;
  }

  /**
   * Starts detaching. A forced detach also ends a held state (stuck attaching or detaching, busy), as EC2's
   * `Force` does; an unforced one of a volume already detaching or busy is refused.
   */
  detachVolume(
    volumeId: string,
    options: { instanceId?: string | undefined; force?: boolean | undefined } = {},
  ): Attachment {
    const volume = this.#require(volumeId);
    const attachment = volume.attachment;
    if (attachment === undefined)
      throw new FabricError('incorrect-state', `volume ${volumeId} is ${volume.state}`);
    if (options.instanceId !== undefined && options.instanceId !== attachment.instanceId) {
      throw new FabricError(
        'attachment-not-found',
        `volume ${volumeId} is not attached to instance ${options.instanceId}`,
      );
    }
    const again = attachment.state === 'detaching' || attachment.state === 'busy';
    if (again && !(options.force && this.#holds.has(volumeId))) {
      throw new FabricError('incorrect-state', `volume ${volumeId} is ${attachment.state}`);
    }
    const fault = again || options.force ? undefined : this.faults.lifecycle('detach');
    this.#holds.delete(volumeId);
    attachment.state = fault?.fault === 'busy-detach' ? 'busy' : 'detaching';
    const detached = (): void => {
      attachment.state = 'detaching';
      this.#after(volumeId, this.timings.detachMs, () =>
        this.#enqueue(volumeId, async () => {
          await this.#releaseDevice(attachment);
          attachment.state = 'detached';
          volume.attachment = undefined;
          volume.state = 'available';
          this.#emit(volumeId, 'detached');
        }),
      );
    };
    if (fault === undefined) detached();
    else {
      // Cancel a pending attach completion: the hold replaces it.
      clearTimeout(this.#timers.get(volumeId));
      this.#timers.delete(volumeId);
      this.#hold(volumeId, fault, detached);
    }
    return attachment;
  }

  /** Calls `listener` on every state change that ends a transition (`available`, `attached`, ...). */
  onTransition(listener: (transition: Transition) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves when all device work queued so far has finished. */
  async settle(): Promise<void> {
    await Promise.all(this.#work.values());
  }

  /** Cancels pending transitions, detaches every loop device this fabric made, and removes its state. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.#holds.clear();
    await this.settle();
    for (const volume of this.#volumes.values()) {
      if (volume.attachment !== undefined) await this.#releaseDevice(volume.attachment).catch(() => {});
    }
    // Anything left behind by a failed step is found by its backing file, not by this fabric's records.
    for (const device of this.devices ? await loopDevicesUnder(this.#exec, this.stateDir) : []) {
      await detachLoopDevice(this.#exec, device);
    }
    await rm(this.stateDir, { recursive: true, force: true });
  }

  // --- internals ---

  #emit(volumeId: string, to: Transition['to']): void {
    for (const listener of this.#listeners) listener({ volumeId, to, atMs: Date.now() });
  }

  #instance(id: string): Instance {
    const instance = this.#instances.get(id);
    if (instance === undefined) throw new FabricError('instance-not-found', `no instance ${id}`);
    return instance;
  }

  /** Holds a volume's next step until its fault's call count, or until released. */
  #hold(volumeId: string, fault: LifecycleVerdict, resume: () => void): void {
    if (this.#stopped) return;
    const untilCall = fault.holdCalls === undefined ? undefined : this.faults.calls + fault.holdCalls;
    this.#holds.set(volumeId, { untilCall, resume });
  }

  #resume(volumeId: string): void {
    const hold = this.#holds.get(volumeId);
    if (hold === undefined) return;
    this.#holds.delete(volumeId);
    hold.resume();
  }

  #require(id: string): Volume {
    const volume = this.#volumes.get(id);
    if (volume === undefined) throw new FabricError('volume-not-found', `no volume ${id}`);
    return volume;
  }

  #directory(instanceId: string): DeviceDirectory {
    const directory = this.#directories.get(instanceId);
    if (directory === undefined) throw new FabricError('instance-not-found', `no instance ${instanceId}`);
    return directory;
  }

  /** One pending transition per volume (or instance): a new one (detach during attaching) replaces the old. */
  #after(volumeId: string, delayMs: number, step: () => void): void {
    if (this.#stopped) return;
    clearTimeout(this.#timers.get(volumeId));
    const timer = setTimeout(() => {
      this.#timers.delete(volumeId);
      step();
    }, delayMs);
    this.#timers.set(volumeId, timer);
  }

  /** Device work of one volume runs in order, so a detach never overtakes the attach it undoes. */
  #enqueue(volumeId: string, work: () => Promise<void>): void {
    const previous = this.#work.get(volumeId) ?? Promise.resolve();
    const next = previous.then(work).catch((error: unknown) => {
      this.backgroundErrors.push(error);
    });
    this.#work.set(volumeId, next);
    void next.then(() => {
      if (this.#work.get(volumeId) === next) this.#work.delete(volumeId);
    });
  }

  async #releaseDevice(attachment: Attachment): Promise<void> {
    await this.#directories.get(attachment.instanceId)?.remove(attachment.nodes);
    attachment.nodes = [];
    if (attachment.loopDevice !== undefined) await detachLoopDevice(this.#exec, attachment.loopDevice);
    attachment.loopDevice = undefined;
  }

  async #ensureBackingFile(volume: Volume): Promise<void> {
    const file = await open(volume.backingFile, 'a');
    try {
      // Sparse: the file takes no space until written. Never shrinks data already there.
      if ((await file.stat()).size === 0) await file.truncate(volume.sizeGiB * GIB);
    } finally {
      await file.close();
    }
  }
}

/** `/dev/sdf` and `/dev/xvdf` name the same slot, as the kernel sees them. */
function deviceSlot(device: string): string {
  return device.replace(/^\/dev\/(sd|xvd)/, '');
}

/** An id in EC2's long format: prefix, dash, 17 hex digits. */
export function newId(prefix: string): string {
  return `${prefix}-${randomBytes(9).toString('hex').slice(0, 17)}`;
}
