// TODO(driver-author): this file stands in for your storage system, so that the template builds and passes
// conformance as it is. Once your real client exists, move it to test/ as the in-memory fake of your client.
import { randomUUID } from 'node:crypto';
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AlreadyAttachedError,
  BackendError,
  type Exec,
  execCommand,
  UnattachedVolumeError,
  UnknownVolumeError,
} from '@flockerjs/core-interface';
import {
  attachLoopDevice,
  detachLoopDevice,
  detachLoopDevicesOf,
  listLoopDevices,
} from '@flockerjs/linux-block';
import type { __DriverName__Client, CreateVolumeRequest, RemoteVolume } from './__driver_name__-client.js';

/** Why the stand-in needs root: it presents disks to this host as loop devices. */
export const ROOT_REQUIRED =
  'the __driver_name__ stand-in storage presents disks as loop devices, and only root may run losetup';

export interface InMemoryStorageOptions {
  /** Where the disks' sparse backing files live. */
  readonly backingDir: string;
  /** The instance id of this host: attaching a volume to it presents the disk here, as a loop device. */
  readonly hostInstanceId: string;
  readonly exec?: Exec;
}

/**
 * A storage system in memory: volume records in a Map, disks as sparse files, and attachment to this host as a
 * real loop device (attachments to other hosts are only recorded). A disk's serial is its backing file's name.
 */
export class InMemoryStorage implements __DriverName__Client {
  readonly #volumes = new Map<string, RemoteVolume>();
  readonly #backingDir: string;
  readonly #host: string;
  readonly #exec: Exec;

  constructor(options: InMemoryStorageOptions) {
    this.#backingDir = options.backingDir;
    this.#host = options.hostInstanceId;
    this.#exec = options.exec ?? execCommand;
  }

  async createVolume(request: CreateVolumeRequest): Promise<RemoteVolume> {
    const id = `vol-${randomUUID()}`;
    await mkdir(this.#backingDir, { recursive: true });
    const file = await open(this.#file(id), 'wx');
    try {
      await file.truncate(request.sizeBytes);
    } finally {
      await file.close();
    }
    const volume: RemoteVolume = Object.freeze({
      id,
      sizeBytes: request.sizeBytes,
      metadata: Object.freeze({ ...request.metadata }),
      attachedTo: null,
      serial: id,
    });
    this.#volumes.set(id, volume);
    return volume;
  }

  async getVolume(id: string): Promise<RemoteVolume> {
    const volume = this.#volumes.get(id);
    if (volume === undefined) throw new UnknownVolumeError(id);
    return volume;
  }

  async listVolumes(metadata: Readonly<Record<string, string>>): Promise<readonly RemoteVolume[]> {
    const wanted = Object.entries(metadata);
    return [...this.#volumes.values()].filter((volume) =>
      wanted.every(([key, value]) => volume.metadata[key] === value),
    );
  }

  async deleteVolume(id: string): Promise<void> {
    const volume = await this.getVolume(id);
    if (volume.attachedTo !== null) throw new AlreadyAttachedError(id, volume.attachedTo);
    this.#volumes.delete(id);
    await rm(this.#file(id), { force: true });
  }

  async attachVolume(id: string, instanceId: string): Promise<RemoteVolume> {
    const volume = await this.getVolume(id);
    if (volume.attachedTo !== null) throw new AlreadyAttachedError(id, volume.attachedTo);
    if (instanceId === this.#host) {
      try {
        await attachLoopDevice(this.#exec, this.#file(id));
      } catch (error) {
        throw new BackendError('attachVolume', `cannot present ${id} to this host: ${message(error)}`, {
          cause: error,
        });
      }
    }
    return this.#update({ ...volume, attachedTo: instanceId });
  }

  async detachVolume(id: string): Promise<RemoteVolume> {
    const volume = await this.getVolume(id);
    if (volume.attachedTo === null) throw new UnattachedVolumeError(id);
    if (volume.attachedTo === this.#host) {
      await detachLoopDevicesOf(this.#exec, () => this.#devicesOf(id), id);
    }
    return this.#update({ ...volume, attachedTo: null });
  }

  /** The back door for tests: the volume as the storage holds it, without going through the driver. */
  peek(id: string): RemoteVolume | undefined {
    return this.#volumes.get(id);
  }

  /** Detaches every loop device still serving one of this storage's disks and removes the backing files. */
  async destroy(): Promise<void> {
    for (const { device, backingFile } of await listLoopDevices(this.#exec)) {
      if (backingFile.startsWith(`${this.#backingDir}/`)) await detachLoopDevice(this.#exec, device);
    }
    this.#volumes.clear();
    await rm(this.#backingDir, { recursive: true, force: true });
  }

  // --- internals ---

  #file(id: string): string {
    return join(this.#backingDir, id);
  }

  async #devicesOf(id: string): Promise<string[]> {
    const file = this.#file(id);
    const devices = await listLoopDevices(this.#exec);
    return devices.filter((device) => device.backingFile === file).map((device) => device.device);
  }

  #update(volume: RemoteVolume): RemoteVolume {
    const frozen = Object.freeze(volume);
    this.#volumes.set(volume.id, frozen);
    return frozen;
  }
}

function message(error: unknown): string {
  const stderr = (error as { stderr?: unknown }).stderr;
  return typeof stderr === 'string' && stderr !== '' ? stderr : (error as Error).message;
}
