import { randomUUID } from 'node:crypto';
import type { IBlockDeviceAPI, Logger, SuiteHints } from '@flockerjs/core-interface';

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

/**
 * The suite's options. The knobs that describe the backend ({@link SuiteHints}: sizes, the unknown id,
 * consistency) are the ones `flocker-certify` reads from `FLOCKER_BACKEND.certification`: pass `backend` and
 * they come from there; an option given here wins.
 */
export interface ConformanceOptions extends SuiteHints {
  /** The backend's plugin object (`FLOCKER_BACKEND`): the suite's title and its `certification` hints. */
  readonly backend?: { readonly name: string; readonly certification?: SuiteHints | undefined };
  /** Title of the suite. @default backend.name; one of the two is required. */
  readonly name?: string;
  readonly factory: ApiFactory;
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
  /** When set, every test is reported as skipped with this reason (say, "loop devices need root"). */
  readonly skip?: string | undefined;
  /**
   * When set, this host cannot present volumes as block devices (say, an emulator's loop devices without root):
   * a case is reported skipped with this reason at the moment it would attach one of its volumes to this node,
   * and every case that never does still runs. Refusals (unknown, attached or destroyed volumes) still run.
   */
  readonly withoutDevices?: string | undefined;
  /** Per-test time limit in milliseconds. @default 120000 */
  readonly timeoutMs?: number;
  /** Where each test is logged as an action, with the API calls it makes nested inside. */
  readonly logger?: Logger;
}

/** The options with the backend's hints merged in and every default applied. */
export interface ResolvedOptions extends ConformanceOptions {
  readonly name: string;
  readonly minimumAllocatableSize: number;
  readonly deviceAllocationUnit: number;
  unknownBlockDeviceId(): string;
  readonly consistency: { readonly attempts: number; readonly intervalMs: number };
  readonly timeoutMs: number;
}

/** Size of the volumes tests create when neither the options nor the backend's hints say. */
export const DEFAULT_MINIMUM_ALLOCATABLE_SIZE: number = 1024 ** 3;

export function resolveOptions(options: ConformanceOptions): ResolvedOptions {
  const name = options.name ?? options.backend?.name;
  if (name === undefined)
    throw new TypeError('describeBlockDeviceAPI: give the suite a `name` or a `backend`');
  const hints: SuiteHints = { ...options.backend?.certification, ...definedOnly(options) };
  return {
    ...options,
    name,
    minimumAllocatableSize: hints.minimumAllocatableSize ?? DEFAULT_MINIMUM_ALLOCATABLE_SIZE,
    deviceAllocationUnit: hints.deviceAllocationUnit ?? 1,
    unknownBlockDeviceId: hints.unknownBlockDeviceId ?? (() => randomUUID()),
    consistency: hints.consistency ?? { attempts: 1, intervalMs: 1000 },
    timeoutMs: options.timeoutMs ?? 120_000,
  };
}

/** The hints an option sets explicitly: `{ consistency: undefined }` leaves the backend's hint in place. */
function definedOnly(options: SuiteHints): SuiteHints {
  return Object.fromEntries(
    (['minimumAllocatableSize', 'deviceAllocationUnit', 'unknownBlockDeviceId', 'consistency'] as const)
      .filter((key) => options[key] !== undefined)
      .map((key) => [key, options[key]]),
  ) as SuiteHints;
}
