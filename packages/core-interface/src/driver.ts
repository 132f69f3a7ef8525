import type { BlockDeviceVolume } from './volume.js';

/** The storage profiles every profiled backend must accept. */
export const MANDATORY_PROFILES = ['gold', 'silver', 'bronze'] as const;
export type MandatoryProfile = (typeof MANDATORY_PROFILES)[number];

/**
 * Profile names that stand for another: the original's `default`, what a dataset without a profile gets, is
 * `bronze`. The loader resolves them ({@link withProfileAliases}), so a driver never sees an alias and a driver
 * written to the original's three profiles accepts `default` too.
 */
export const PROFILE_ALIASES: Readonly<Record<string, MandatoryProfile>> = Object.freeze({
  default: 'bronze',
});

/**
 * What a driver declares it can do beyond the required contract. Only these declarations decide which optional
 * conformance tests run: a driver that declares a capability is tested on it, one that does not sees those tests
 * reported as skipped. The last two choose between two behaviours the contract allows; the suite holds the
 * driver to the one it declares.
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
  /**
   * A second {@link IBlockDeviceAPI.createVolume} for a dataset that has a volume (same size, as a retry makes)
   * returns that volume; without this declaration it is refused with `DATASET_EXISTS`. Never a second volume.
   * @default false
   */
  readonly idempotentCreate?: boolean;
  /**
   * {@link IBlockDeviceAPI.destroyVolume} of an attached volume destroys it (the backend detaches it first);
   * without this declaration it is refused with `ALREADY_ATTACHED` and the volume is kept, attached.
   * @default false
   */
  readonly destroysAttached?: boolean;
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
   * A dataset has at most one volume: for a dataset that has one, the call returns that volume where the driver
   * declares {@link Capabilities.idempotentCreate}, and is refused with `DATASET_EXISTS` otherwise.
   * @returns the new volume, `attachedTo: null`.
   * @throws `INVALID_SIZE` when `size` is not a positive multiple of {@link allocationUnit}; `INVALID_ID` when
   *   `datasetId` is not a UUID; `DATASET_EXISTS` as above.
   */
  createVolume(datasetId: string, size: number): Promise<BlockDeviceVolume>;

  /**
   * Destroys a volume and its data. An attached volume is destroyed too where the driver declares
   * {@link Capabilities.destroysAttached}; otherwise it is refused and kept as it is, attached.
   * @throws `UNKNOWN_VOLUME` when no such volume exists, including one already destroyed; `ALREADY_ATTACHED`
   *   for an attached volume, as above (detach it first).
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
   * {@link IBlockDeviceAPI.createVolume} with a storage profile that reaches the backend (a volume type, a QoS
   * class): the backend holds the volume under that profile. Accepts every {@link MANDATORY_PROFILES} name; other
   * names may be refused with `INVALID_CONFIG`. Never called with an alias ({@link PROFILE_ALIASES}).
   */
  createVolumeWithProfile(datasetId: string, size: number, profileName: string): Promise<BlockDeviceVolume>;
}

/** Declared by `capabilities.cloudApi`: for backends where a stopped node keeps its volumes attached. */
export interface ICloudAPI extends IBlockDeviceAPI {
  /**
   * Instance ids (as {@link IBlockDeviceAPI.computeInstanceId}) of the nodes that are running now: a stopped
   * node is left out.
   */
  listLiveNodes(): Promise<readonly string[]>;
  /**
   * Starts a stopped node, best effort: once started, {@link listLiveNodes} includes it again. Present when
   * `capabilities.startNode` is declared.
   */
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

/** The profile `name` stands for: itself, unless it is one of the {@link PROFILE_ALIASES}. */
export function resolveProfileAlias(name: string): string {
  return Object.hasOwn(PROFILE_ALIASES, name) ? (PROFILE_ALIASES[name] as string) : name;
}

/**
 * `api` with every profile alias resolved before the driver sees it (`default` becomes `bronze`). The loader
 * applies it to every API it makes; other members are the driver's own, bound to it.
 */
export function withProfileAliases<T extends IBlockDeviceAPI>(api: T): T {
  if (!isProfiled(api)) return api;
  const createVolumeWithProfile: IProfiledBlockDeviceAPI['createVolumeWithProfile'] = (d, size, profile) =>
    api.createVolumeWithProfile(d, size, resolveProfileAlias(profile));
  // The proxy's own target is a blank object, so a frozen driver's members can be replaced as well.
  return new Proxy(Object.create(null) as T, {
    get(_blank, property) {
      if (property === 'createVolumeWithProfile') return createVolumeWithProfile;
      const value: unknown = Reflect.get(api, property, api);
      return typeof value === 'function' ? value.bind(api) : value;
    },
  });
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

/** Every contract member the loader's wrappers log and meter: the eight, then the optional ones. */
export const CONTRACT_METHODS: ReadonlySet<PropertyKey> = new Set([
  ...BLOCK_DEVICE_API_METHODS,
  'createVolumeWithProfile',
  'listLiveNodes',
  'startNode',
  'resizeVolume',
]);

/**
 * `api` with each contract call made through `around(method, args, call)`, where `call()` runs the driver's own
 * member; every other member is read from `api` and bound to it. The loader's log and metrics wrappers.
 */
export function aroundContractCalls<T extends IBlockDeviceAPI>(
  api: T,
  around: (method: string, args: readonly unknown[], call: () => Promise<unknown>) => Promise<unknown>,
): T {
  // The proxy's own target is a blank object, so a frozen driver's read-only members can still be wrapped.
  return new Proxy(Object.create(null) as T, {
    get(_blank, property) {
      const value: unknown = Reflect.get(api, property, api);
      if (typeof value !== 'function') return value;
      if (!CONTRACT_METHODS.has(property)) return value.bind(api);
      return (...args: unknown[]) => around(String(property), args, async () => value.apply(api, args));
    },
  });
}
