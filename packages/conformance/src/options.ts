import type { IBlockDeviceAPI, Logger } from '@flockerjs/core-interface';

/** What a test's factory gets: a name for the things it creates and a place to register their removal. */
export interface FactoryContext {
  /** The test's title, for naming the backend objects the factory creates. */
  readonly testName: string;
  /** Registers cleanup that runs after the test, after the test's volumes are destroyed, even when it fails. */
  onCleanup(cleanup: () => Promise<void> | void): void;
}

/**
 * Makes a fresh API whose `listVolumes()` starts empty and sees no other test's volumes: a new root directory,
 * or a new random cluster id. Called once per test (twice by the isolation test).
 */
export type ApiFactory = (context: FactoryContext) => Promise<IBlockDeviceAPI> | IBlockDeviceAPI;

/** A volume as the backend itself holds it, read without going through the driver. */
export interface InspectedVolume {
  readonly size: number;
  readonly attachedTo: string | null;
  readonly datasetId: string;
  /**
   * The profile the backend holds the volume under, by the name `createVolumeWithProfile` was given (the
   * back door maps the backend's volume type back to it); left out where the volume has none.
   */
  readonly profile?: string | undefined;
}

export interface ConformanceOptions {
  /** Title of the suite, usually the backend name. */
  readonly name: string;
  readonly factory: ApiFactory;
  /**
   * The smallest size, in bytes, every test creates; a multiple of the API's allocation unit, and large
   * enough for an ext4 journal.
   */
  readonly minimumAllocatableSize: number;
  /**
   * The granularity, in bytes, at which the storage allocates devices as the kernel sees them (some Cinder
   * backends allocate in 8 GiB steps): device sizes are checked rounded up to it. @default 1
   */
  readonly deviceAllocationUnit?: number;
  /** A well-formed id that no volume has, in the backend's format. */
  readonly unknownBlockDeviceId: () => string;
  /**
   * Optional back door: reads a volume straight from the backend (files, emulator state, cloud API), so the
   * suite checks effects without trusting `listVolumes`. Resolves `undefined` for a volume that does not exist.
   */
  readonly inspect?: (blockDeviceId: string) => Promise<InspectedVolume | undefined>;
  /**
   * The id of another node of the backend that this API can attach volumes to (for a cloud, a second running
   * instance). The cases about volumes attached elsewhere are reported skipped without it.
   */
  readonly otherNodeId?: () => string | Promise<string>;
  /**
   * How many volumes one page of the backend's listing holds (as the test backend is set up): the suite
   * creates one more and expects them all listed. Leave it unset for a backend whose listing has no pages;
   * that case is then reported skipped, saying so.
   */
  readonly listPageSize?: number;
  /**
   * Back door for the cloud API cases: stops node `nodeId` without the driver and resolves a function that
   * starts it again (the suite calls it after the test). Without it, those cases are reported skipped.
   */
  readonly stopNode?: (nodeId: string) => Promise<() => Promise<void>>;
  /**
   * For eventually consistent listings: how often, and how far apart, a listing assertion is tried before
   * it fails. @default { attempts: 1, intervalMs: 1000 }
   */
  readonly consistency?: { readonly attempts: number; readonly intervalMs: number };
  /** When set, every test is reported as skipped with this reason (say, "loop devices need root"). */
  readonly skip?: string | undefined;
  /** Per-test time limit in milliseconds. @default 120000 */
  readonly timeoutMs?: number;
  /** Where each test is logged as an action, with the API calls it makes nested inside. */
  readonly logger?: Logger;
}

export interface ResolvedOptions extends ConformanceOptions {
  readonly deviceAllocationUnit: number;
  readonly consistency: { readonly attempts: number; readonly intervalMs: number };
  readonly timeoutMs: number;
}

export function resolveOptions(options: ConformanceOptions): ResolvedOptions {
  return {
    ...options,
    deviceAllocationUnit: options.deviceAllocationUnit ?? 1,
    consistency: options.consistency ?? { attempts: 1, intervalMs: 1000 },
    timeoutMs: options.timeoutMs ?? 120_000,
  };
}
