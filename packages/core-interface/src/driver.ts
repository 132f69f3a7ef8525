import type { BlockDeviceVolume } from './volume.js';

/**
 * The storage profiles every profiled backend must accept. `default` is what a dataset without a profile
 * gets; the original mapped it to `bronze`.
 */
export const MANDATORY_PROFILES = ['gold', 'silver', 'bronze', 'default'] as const;
export type MandatoryProfile = (typeof MANDATORY_PROFILES)[number];

/**
 * What a driver declares it can do beyond the required contract. Only these declarations decide which optional
 * conformance tests run: a driver that declares a capability is tested on it, one that does not sees those tests
 * reported as skipped.
 */
export interface Capabilities {
  /** The API also implements {@link IProfiledBlockDeviceAPI}. */
  readonly profiles: boolean;
  /** The API also implements {@link ICloudAPI}.listLiveNodes. */
  readonly cloudApi: boolean;
  /** The API also implements {@link ICloudAPI}.startNode. */
  readonly startNode: boolean;
  /** The API also implements {@link IResizableBlockDeviceAPI}. */
  readonly resize: boolean;
}

/**
 * The driver contract: one backend's volumes, seen from the node the API runs on.
 *
 * Sizes are bytes. Ids are opaque strings: `blockDeviceId` is the backend's id, unique in the whole backend;
 * `datasetId` is a lowercase UUID; node ids are what {@link computeInstanceId} returns on each node.
 *
 * The caller is a convergence loop: it lists, compares with what it wants, acts, and lists again. A failed
 * call is retried by the next round, so drivers need not retry whole operations, but every call must either
 * complete or leave the volume as it was (or in a state the next call recognises and finishes). Every wait
 * must be bounded: a driver never blocks forever.
 *
 * Errors that callers act on carry a `code` (see `errors.ts`); a backend failure that is none of the listed
 * conditions is `BACKEND` with the original error as `cause`.
 */
export interface IBlockDeviceAPI {
  /** What this driver supports beyond the required members. */
  readonly capabilities: Capabilities;

  /**
   * The granularity, in bytes, of volume sizes: callers round sizes up to a multiple of it before
   * {@link createVolume}. Constant for the lifetime of the API.
   */
  allocationUnit(): Promise<number>;

  /**
   * The id of the node this API runs on, in the same namespace as {@link BlockDeviceVolume.attachedTo}.
   * Non-empty, and stable across restarts of the process.
   * @throws `UNKNOWN_INSTANCE_ID` when it cannot be determined.
   */
  computeInstanceId(): Promise<string>;

  /**
   * Creates an unattached volume of exactly `size` bytes for `datasetId`, labelled so that
   * {@link listVolumes} reports the dataset id, and visible only to this API's cluster.
   * @returns the new volume, `attachedTo: null`.
   * @throws `INVALID_SIZE` when `size` is not a positive multiple of {@link allocationUnit}; `INVALID_ID` when
   *   `datasetId` is not a UUID; `DATASET_EXISTS` where the backend allows one volume per dataset.
   */
  createVolume(datasetId: string, size: number): Promise<BlockDeviceVolume>;

  /**
   * Destroys an unattached volume and its data.
   * @throws `UNKNOWN_VOLUME` when no such volume exists, including one already destroyed; `ALREADY_ATTACHED`
   *   when the backend refuses to destroy an attached volume (detach it first).
   */
  destroyVolume(blockDeviceId: string): Promise<void>;

  /**
   * Attaches the volume to node `attachTo`. "Attached" means: the backend records it as attached to that node,
   * and on that node {@link getDevicePath} returns a block device that reads and writes the volume's data.
   * @returns the volume with `attachedTo === attachTo`.
   * @throws `UNKNOWN_VOLUME`; `ALREADY_ATTACHED` when attached anywhere, this node included (checked before
   *   anything about `attachTo` is).
   */
  attachVolume(blockDeviceId: string, attachTo: string): Promise<BlockDeviceVolume>;

  /**
   * Detaches the volume from whichever node holds it. On return the device is gone from that node.
   * @throws `UNKNOWN_VOLUME`; `UNATTACHED` when not attached.
   */
  detachVolume(blockDeviceId: string): Promise<void>;

  /**
   * Every volume of this cluster, attached (to any node) or not, and no volume of any other cluster. Complete
   * however many volumes exist (drivers page through the backend's listing). Order is not significant.
   */
  listVolumes(): Promise<readonly BlockDeviceVolume[]>;

  /**
   * The absolute path of the block device of a volume attached to this node. It must be exactly that volume's
   * device: a wrong answer loses data. Repeated calls return the same path.
   * @throws `UNKNOWN_VOLUME`; `UNATTACHED` when not attached to this node.
   */
  getDevicePath(blockDeviceId: string): Promise<string>;
}

/** Declared by `capabilities.profiles`. */
export interface IProfiledBlockDeviceAPI extends IBlockDeviceAPI {
  /**
   * {@link IBlockDeviceAPI.createVolume} with a storage profile. Accepts every {@link MANDATORY_PROFILES} name;
   * other names may be refused with `INVALID_CONFIG`.
   */
  createVolumeWithProfile(datasetId: string, size: number, profileName: string): Promise<BlockDeviceVolume>;
}

/** Declared by `capabilities.cloudApi`: for backends where a stopped node keeps its volumes attached. */
export interface ICloudAPI extends IBlockDeviceAPI {
  /** Instance ids (as {@link IBlockDeviceAPI.computeInstanceId}) of the nodes that are running now. */
  listLiveNodes(): Promise<readonly string[]>;
  /** Starts a stopped node, best effort. Present when `capabilities.startNode` is declared. */
  startNode?(nodeId: string): Promise<void>;
}

/** Declared by `capabilities.resize`. */
export interface IResizableBlockDeviceAPI extends IBlockDeviceAPI {
  /**
   * Grows an unattached volume to `size` bytes, keeping its data.
   * @returns the volume with its new size.
   * @throws `UNKNOWN_VOLUME`; `ALREADY_ATTACHED` when attached; `INVALID_SIZE` when `size` is not a multiple of
   *   the allocation unit or not larger than the current size (volumes never shrink).
   */
  resizeVolume(blockDeviceId: string, size: number): Promise<BlockDeviceVolume>;
}

/** True when `api` declares resizing and implements it. */
export function isResizable(api: IBlockDeviceAPI): api is IResizableBlockDeviceAPI {
  return api.capabilities.resize && typeof (api as IResizableBlockDeviceAPI).resizeVolume === 'function';
}

/** True when `api` declares profiles and implements them. */
export function isProfiled(api: IBlockDeviceAPI): api is IProfiledBlockDeviceAPI {
  return (
    api.capabilities.profiles &&
    typeof (api as IProfiledBlockDeviceAPI).createVolumeWithProfile === 'function'
  );
}

/** True when `api` declares the cloud API and implements it. */
export function isCloudApi(api: IBlockDeviceAPI): api is ICloudAPI {
  return api.capabilities.cloudApi && typeof (api as ICloudAPI).listLiveNodes === 'function';
}

/** The eight members every driver implements, in contract order. */
export const BLOCK_DEVICE_API_METHODS = [
  'allocationUnit',
  'computeInstanceId',
  'createVolume',
  'destroyVolume',
  'attachVolume',
  'detachVolume',
  'listVolumes',
  'getDevicePath',
] as const satisfies readonly (keyof IBlockDeviceAPI)[];
