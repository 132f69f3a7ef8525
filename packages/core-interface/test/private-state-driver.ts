import {
  AlreadyAttachedError,
  type BackendContext,
  type BlockDeviceVolume,
  blockDeviceVolume,
  type Capabilities,
  type IProfiledBlockDeviceAPI,
  UnattachedVolumeError,
  UnknownVolumeError,
  withAttachedTo,
} from '../src/index.js';

/**
 * An in-memory driver keeping its state in #private fields, which only a call on the real object can read:
 * wrappers (logging, plugin loading) that call methods on a proxy instead would throw.
 */
export class PrivateStateDriver implements IProfiledBlockDeviceAPI {
  readonly capabilities: Capabilities = { profiles: true, cloudApi: false, startNode: false, resize: false };
  readonly #volumes: Map<string, BlockDeviceVolume>;
  readonly #context: BackendContext | undefined;

  constructor(initial: readonly BlockDeviceVolume[] = [], context?: BackendContext) {
    this.#volumes = new Map(initial.map((volume) => [volume.blockDeviceId, volume]));
    this.#context = context;
  }

  get context(): BackendContext | undefined {
    return this.#context;
  }

  async allocationUnit(): Promise<number> {
    return 1024;
  }

  async computeInstanceId(): Promise<string> {
    return 'node-a';
  }

  async createVolume(datasetId: string, size: number): Promise<BlockDeviceVolume> {
    return this.createVolumeWithProfile(datasetId, size, 'default');
  }

  async createVolumeWithProfile(
    datasetId: string,
    size: number,
    _profile: string,
  ): Promise<BlockDeviceVolume> {
    const blockDeviceId = `vol-${this.#volumes.size + 1}`;
    const volume = blockDeviceVolume({ blockDeviceId, size, attachedTo: null, datasetId });
    this.#volumes.set(blockDeviceId, volume);
    return volume;
  }

  async destroyVolume(blockDeviceId: string): Promise<void> {
    this.#get(blockDeviceId);
    this.#volumes.delete(blockDeviceId);
  }

  async attachVolume(blockDeviceId: string, attachTo: string): Promise<BlockDeviceVolume> {
    const volume = this.#get(blockDeviceId);
    if (volume.attachedTo !== null) throw new AlreadyAttachedError(blockDeviceId, volume.attachedTo);
    return this.#set(withAttachedTo(volume, attachTo));
  }

  async detachVolume(blockDeviceId: string): Promise<void> {
    const volume = this.#get(blockDeviceId);
    if (volume.attachedTo === null) throw new UnattachedVolumeError(blockDeviceId);
    this.#set(withAttachedTo(volume, null));
  }

  async listVolumes(): Promise<readonly BlockDeviceVolume[]> {
    return [...this.#volumes.values()];
  }

  async getDevicePath(blockDeviceId: string): Promise<string> {
    if (this.#get(blockDeviceId).attachedTo === null) throw new UnattachedVolumeError(blockDeviceId);
    return '/dev/xvdf';
  }

  count(): number {
    return this.#volumes.size;
  }

  #get(blockDeviceId: string): BlockDeviceVolume {
    const volume = this.#volumes.get(blockDeviceId);
    if (volume === undefined) throw new UnknownVolumeError(blockDeviceId);
    return volume;
  }

  #set(volume: BlockDeviceVolume): BlockDeviceVolume {
    this.#volumes.set(volume.blockDeviceId, volume);
    return volume;
  }
}
