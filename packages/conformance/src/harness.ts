import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  BlockDeviceVolume,
  IBlockDeviceAPI,
  IProfiledBlockDeviceAPI,
  LogFields,
  Logger,
} from '@flockerjs/core-interface';
import { expect, it, type TestContext } from 'vitest';
import { detachDestroyVolumes } from './cleanup.js';
import type { ResolvedOptions } from './options.js';
import { withMethods } from './with-methods.js';

/** What every conformance test works with. */
export interface Harness {
  /** The API under test; every volume it creates is destroyed after the test. */
  readonly api: IBlockDeviceAPI;
  readonly thisNode: string;
  readonly options: ResolvedOptions;
  /** A fresh, isolated API from the factory, cleaned up the same way. */
  anotherApi(): Promise<IBlockDeviceAPI>;
  /** Creates a volume of the minimum size for a new dataset. */
  createVolume(size?: number): Promise<BlockDeviceVolume>;
  /** Creates a volume and attaches it to this node. */
  createAttachedVolume(): Promise<BlockDeviceVolume>;
  /** Runs a read-only assertion until it holds, as often as `consistency` allows. */
  eventually<T>(assertion: () => Promise<T>): Promise<T>;
  /** Checks through `inspect`, when the driver offers it, that the backend holds `volume` as given. */
  expectBackendHolds(volume: BlockDeviceVolume): Promise<void>;
  /** Checks through `inspect`, when offered, that the backend no longer has the volume. */
  expectBackendLacks(blockDeviceId: string): Promise<void>;
}

type Body = (harness: Harness, context: TestContext) => Promise<void>;

/**
 * Registers one conformance test. Its API comes from the factory; every volume it creates is detached and
 * destroyed when it ends (also when an assertion failed), and the test fails if any volume is left.
 */
export function conformanceTest(title: string, options: ResolvedOptions, body: Body): void {
  it(title, { timeout: options.timeoutMs }, async (context) => {
    if (options.skip !== undefined) context.skip(options.skip);
    await testAction(context, options.logger, 'conformance:test', { title }, async () =>
      body(await setUp(options, context), context),
    );
  });
}

/** A test's cleanups, last registered first, and the errors they threw. */
interface CleanupStack {
  readonly cleanups: (() => Promise<void> | void)[];
  readonly failures: unknown[];
}

const stacks = new WeakMap<TestContext, CleanupStack>();

/**
 * Cleanup that runs when the test ends, failed or not, last registered first: by {@link runCleanups} inside the
 * test (so the calls are logged under it), else when vitest finishes the test. Every step runs even when an
 * earlier one throws; the test then fails with all their errors. Each call for one test adds to the same stack.
 */
export function cleanupStack(context: TestContext): (cleanup: () => Promise<void> | void) => void {
  let stack = stacks.get(context);
  if (stack === undefined) {
    const created: CleanupStack = { cleanups: [], failures: [] };
    stacks.set(context, created);
    context.onTestFinished(async () => {
      await runCleanups(context);
      if (created.failures.length > 0) {
        throw new AggregateError(created.failures, `cleanup after "${context.task.name}" failed`);
      }
    });
    stack = created;
  }
  const { cleanups } = stack;
  return (cleanup) => {
    cleanups.push(cleanup);
  };
}

/** Runs the test's cleanups registered so far, now; their errors fail the test when it finishes. */
export async function runCleanups(context: TestContext): Promise<void> {
  const stack = stacks.get(context);
  for (let cleanup = stack?.cleanups.pop(); cleanup !== undefined; cleanup = stack?.cleanups.pop()) {
    try {
      await cleanup();
    } catch (error) {
      stack?.failures.push(error);
    }
  }
}

/** Runs a test's body and then its cleanups, as one action of `logger` when there is one. */
export async function testAction(
  context: TestContext,
  logger: Logger | undefined,
  action: string,
  fields: LogFields,
  body: () => Promise<void>,
): Promise<void> {
  const run = async (): Promise<void> => {
    try {
      await body();
    } finally {
      await runCleanups(context);
    }
  };
  await (logger?.action(action, fields, run) ?? run());
}

async function setUp(options: ResolvedOptions, context: TestContext): Promise<Harness> {
  const onCleanup = cleanupStack(context);
  const makeApi = async (): Promise<IBlockDeviceAPI> => {
    const raw = await options.factory({ testName: context.task.name, onCleanup });
    const created = new Set<string>();
    onCleanup(() => destroyCreated(raw, created, options));
    const tracked = trackCreated(raw, created);
    const reason = options.withoutDevices;
    if (reason === undefined) return tracked;
    return skipAttachHere(tracked, await raw.computeInstanceId(), created, () => context.skip(reason));
  };

  const api = await makeApi();
  const thisNode = await api.computeInstanceId();
  const eventually = <T>(assertion: () => Promise<T>): Promise<T> => retryAssertion(assertion, options);
  const harness: Harness = {
    api,
    thisNode,
    options,
    anotherApi: makeApi,
    createVolume: (size = options.minimumAllocatableSize) => api.createVolume(randomUUID(), size),
    async createAttachedVolume() {
      const volume = await harness.createVolume();
      return api.attachVolume(volume.blockDeviceId, thisNode);
    },
    eventually,
    async expectBackendHolds(volume) {
      if (options.inspect === undefined) return;
      const { blockDeviceId, ...expected } = volume;
      // Matched, not equal: the back door may report more than the volume value holds (its profile).
      await eventually(async () =>
        expect(await options.inspect?.(blockDeviceId)).toEqual(expect.objectContaining(expected)),
      );
    },
    async expectBackendLacks(blockDeviceId) {
      if (options.inspect === undefined) return;
      await eventually(async () => expect(await options.inspect?.(blockDeviceId)).toBeUndefined());
    },
  };
  return harness;
}

/** The API with every volume it creates recorded, so cleanup touches only what the test made. */
export function trackCreated(api: IBlockDeviceAPI, created: Set<string>): IBlockDeviceAPI {
  const track = async (creating: Promise<BlockDeviceVolume>): Promise<BlockDeviceVolume> => {
    const volume = await creating;
    created.add(volume.blockDeviceId);
    return volume;
  };
  const profiled = api as Partial<IProfiledBlockDeviceAPI>;
  return withMethods(api, {
    createVolume: (datasetId, size) => track(api.createVolume(datasetId, size)),
    ...(profiled.createVolumeWithProfile === undefined
      ? {}
      : {
          createVolumeWithProfile: (datasetId, size, profile) =>
            track((api as IProfiledBlockDeviceAPI).createVolumeWithProfile(datasetId, size, profile)),
        }),
  });
}

/**
 * The API with an attach that would succeed on this node turned into `skip()`: the volumes the test created
 * are followed through attach, detach and destroy, so a call the contract refuses still reaches the driver.
 */
function skipAttachHere(
  api: IBlockDeviceAPI,
  here: string,
  created: ReadonlySet<string>,
  skip: () => void,
): IBlockDeviceAPI {
  const attached = new Set<string>();
  const destroyed = new Set<string>();
  return withMethods(api, {
    async attachVolume(blockDeviceId, attachTo) {
      const free =
        created.has(blockDeviceId) && !attached.has(blockDeviceId) && !destroyed.has(blockDeviceId);
      if (attachTo === here && free) skip();
      const volume = await api.attachVolume(blockDeviceId, attachTo);
      attached.add(blockDeviceId);
      return volume;
    },
    async detachVolume(blockDeviceId) {
      await api.detachVolume(blockDeviceId);
      attached.delete(blockDeviceId);
    },
    async destroyVolume(blockDeviceId) {
      await api.destroyVolume(blockDeviceId);
      destroyed.add(blockDeviceId);
    },
  });
}

async function destroyCreated(
  api: IBlockDeviceAPI,
  created: Set<string>,
  options: ResolvedOptions,
): Promise<void> {
  const { remaining, errors } = await detachDestroyVolumes(api, {
    only: created,
    intervalMs: options.consistency.intervalMs,
  });
  if (remaining.length > 0) {
    const ids = remaining.map((volume) => volume.blockDeviceId).join(', ');
    throw new AggregateError(errors, `volumes left behind after cleanup: ${ids}`);
  }
  // A volume the test never got an id for (say, from a create that failed halfway) is a leak as well; it is
  // reported, not destroyed, since the suite only removes what it knows it made.
  await retryAssertion(async () => {
    const leaked = (await api.listVolumes()).map((volume) => volume.blockDeviceId);
    expect(leaked, 'volumes this test did not create are left in the backend').toEqual([]);
  }, options);
}

async function retryAssertion<T>(assertion: () => Promise<T>, options: ResolvedOptions): Promise<T> {
  const { attempts, intervalMs } = options.consistency;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await assertion();
    } catch (error) {
      if (attempt >= attempts || (error as Error).name !== 'AssertionError') throw error;
      await sleep(intervalMs);
    }
  }
}
