import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BlockDeviceVolume,
  execCommand,
  type IBlockDeviceAPI,
  isResizable,
  type Logger,
  silentLogger,
  withAttachedTo,
} from '@flockerjs/core-interface';
import { makeExt4, mount, unmount } from '@flockerjs/linux-block';
import { describe, expect, it, type TestContext } from 'vitest';
import { detachDestroyVolumes } from './cleanup.js';
import { expectCode } from './expect-code.js';
import { cleanupStack, testAction, trackCreated } from './harness.js';
import type { FactoryContext } from './options.js';
import { readDevice, writeDevice } from './os.js';

export const ACCEPTANCE_NODES = ['a', 'b'] as const;
export type AcceptanceNode = (typeof ACCEPTANCE_NODES)[number];

/** Two nodes over the same storage and cluster, for one test. */
export interface AcceptanceCluster {
  /**
   * A new API instance for `node` on every call; the same name is the same node (same instance id), as a
   * process restart or a reboot would see it.
   */
  openNode(node: AcceptanceNode): Promise<IBlockDeviceAPI>;
}

export interface AcceptanceOptions {
  /** Title of the suite, usually the backend name. */
  readonly name: string;
  /** Makes the two-node cluster for one test; register its removal through `context.onCleanup`. */
  readonly cluster: (context: FactoryContext) => Promise<AcceptanceCluster> | AcceptanceCluster;
  /** Size in bytes of the volumes created; large enough for an ext4 filesystem and `dataBytes`. */
  readonly minimumAllocatableSize: number;
  /** How much file data moves between the nodes. @default 4 MiB */
  readonly dataBytes?: number;
  /** Where each step is logged as an action, so a failed run shows where it stopped. */
  readonly logger?: Logger;
  /** When set, every test is reported as skipped with this reason. */
  readonly skip?: string | undefined;
  /** Per-test time limit in milliseconds. @default 300000 */
  readonly timeoutMs?: number;
}

const FILE_COUNT = 8;

interface Node {
  readonly name: AcceptanceNode;
  readonly api: IBlockDeviceAPI;
  readonly id: string;
}

interface Run {
  node(name: AcceptanceNode, fresh?: boolean): Promise<Node>;
  step<T>(name: string, fields: Readonly<Record<string, unknown>>, fn: () => Promise<T>): Promise<T>;
  /** Attaches on `node`, makes a filesystem if asked, mounts, runs `fn` on the mount, unmounts, detaches. */
  withMounted<T>(
    node: Node,
    volume: BlockDeviceVolume,
    fn: (dir: string) => Promise<T>,
    options?: { format?: boolean },
  ): Promise<T>;
}

/**
 * Registers the acceptance run: the dataset agent's part played on two nodes with real block devices. A
 * filesystem with data moves from node A to B and back; attachment is exclusive; a restarted node finds its
 * volumes; resizing is as the capability says.
 */
export function describeAcceptance(options: AcceptanceOptions): void {
  const timeout = options.timeoutMs ?? 300_000;
  const dataBytes = options.dataBytes ?? 4 * 1024 * 1024;
  const test = (title: string, body: (run: Run) => Promise<void>): void => {
    it(title, { timeout }, async (context) => {
      if (options.skip !== undefined) context.skip(options.skip);
      await testAction(context, options.logger ?? silentLogger, 'acceptance:test', { title }, async () =>
        body(await setUp(options, context)),
      );
    });
  };

  describe(`${options.name}: acceptance`, () => {
    test('moves a filesystem with its data from node A to node B and back', async (run) => {
      const a = await run.node('a');
      const b = await run.node('b');
      const volume = await run.step('create', { node: a.id }, () =>
        a.api.createVolume(randomUUID(), options.minimumAllocatableSize),
      );
      const written = await run.withMounted(
        a,
        volume,
        (dir) => run.step('write', { node: a.id, bytes: dataBytes }, () => writeFiles(dir, 'a', dataBytes)),
        { format: true },
      );
      const more = await run.withMounted(b, volume, async (dir) => {
        await run.step('verify', { node: b.id }, () => verifyFiles(dir, written));
        return run.step('write', { node: b.id }, () => writeFiles(dir, 'b', dataBytes / 4));
      });
      await run.withMounted(a, volume, (dir) =>
        run.step('verify', { node: a.id }, () => verifyFiles(dir, { ...written, ...more })),
      );
      await run.step('destroy', { blockDeviceId: volume.blockDeviceId }, () =>
        a.api.destroyVolume(volume.blockDeviceId),
      );
      await run.step('confirm-gone', {}, async () => {
        for (const node of [a, b]) {
          const ids = (await node.api.listVolumes()).map((v) => v.blockDeviceId);
          expect(ids, `node ${node.name} still lists the destroyed volume`).not.toContain(
            volume.blockDeviceId,
          );
        }
      });
    });

    test('a volume attached on node A cannot be attached on node B: ALREADY_ATTACHED', async (run) => {
      const a = await run.node('a');
      const b = await run.node('b');
      const volume = await a.api.createVolume(randomUUID(), options.minimumAllocatableSize);
      const attached = await run.step('attach', { node: a.id }, () =>
        a.api.attachVolume(volume.blockDeviceId, a.id),
      );
      await run.step('attach-elsewhere', { node: b.id }, () =>
        expectCode(b.api.attachVolume(volume.blockDeviceId, b.id), 'ALREADY_ATTACHED', {
          blockDeviceId: volume.blockDeviceId,
        }),
      );
      const fromB = (await b.api.listVolumes()).find((v) => v.blockDeviceId === volume.blockDeviceId);
      expect(fromB, 'node B sees the volume attached to node A').toEqual(attached);
    });

    test('a restarted node finds its attached volumes and their device paths', async (run) => {
      const a = await run.node('a');
      const volume = await a.api.createVolume(randomUUID(), options.minimumAllocatableSize);
      await a.api.attachVolume(volume.blockDeviceId, a.id);
      const marker = randomBytes(4096);
      await writeDevice(await a.api.getDevicePath(volume.blockDeviceId), 0, marker);

      const restarted = await run.step('restart', { node: a.id }, () => run.node('a', true));
      expect(restarted.id, 'instance id after a restart').toBe(a.id);
      expect(await restarted.api.listVolumes()).toContainEqual(withAttachedTo(volume, a.id));
      const device = await restarted.api.getDevicePath(volume.blockDeviceId);
      expect((await readDevice(device, 0, marker.length)).equals(marker), 'data behind the device path').toBe(
        true,
      );
    });

    test('resizing is offered only as capabilities.resize declares', async (run) => {
      const { api } = await run.node('a');
      const members = api as unknown as Record<string, unknown>;
      if (!api.capabilities.resize) {
        expect(members.resizeVolume, 'resizeVolume without capabilities.resize').toBeUndefined();
        return;
      }
      if (!isResizable(api)) throw new Error('capabilities.resize is declared but resizeVolume is missing');
      const unit = await api.allocationUnit();
      const volume = await api.createVolume(randomUUID(), options.minimumAllocatableSize);
      const grown = await api.resizeVolume(volume.blockDeviceId, volume.size + unit);
      expect(grown).toEqual({ ...volume, size: volume.size + unit });
      await expectCode(api.resizeVolume(volume.blockDeviceId, volume.size), 'INVALID_SIZE');
    });
  });
}

async function setUp(options: AcceptanceOptions, context: TestContext): Promise<Run> {
  const logger = options.logger ?? silentLogger;
  const onCleanup = cleanupStack(context);
  const cluster = await options.cluster({ testName: context.task.name, onCleanup });
  const created = new Set<string>();
  const nodes = new Map<AcceptanceNode, Node>();
  let cleanupApi: IBlockDeviceAPI | undefined;
  onCleanup(async () => {
    if (cleanupApi === undefined) return;
    const { remaining, errors } = await detachDestroyVolumes(cleanupApi, { only: created, intervalMs: 500 });
    if (remaining.length > 0)
      throw new AggregateError(
        errors,
        `volumes left behind: ${remaining.map((v) => v.blockDeviceId).join(', ')}`,
      );
  });
  const mountRoot = await mkdtemp(join(tmpdir(), 'flockerjs-acceptance-'));
  onCleanup(() => rm(mountRoot, { recursive: true, force: true }));

  const step: Run['step'] = (name, fields, fn) => logger.action(`acceptance:${name}`, fields, fn);
  const run: Run = {
    step,
    async node(name, fresh = false) {
      const known = nodes.get(name);
      if (known !== undefined && !fresh) return known;
      const api = trackCreated(await cluster.openNode(name), created);
      cleanupApi ??= api;
      const node = { name, api, id: await api.computeInstanceId() };
      nodes.set(name, node);
      return node;
    },
    async withMounted(node, volume, fn, { format = false } = {}) {
      const { blockDeviceId } = volume;
      await step('attach', { node: node.id, blockDeviceId }, () =>
        node.api.attachVolume(blockDeviceId, node.id),
      );
      const device = await node.api.getDevicePath(blockDeviceId);
      const dir = await mkdtemp(join(mountRoot, `${node.name}-`));
      let mounted = false;
      // A failed step must not leave a mount behind: it would keep the device busy and the volume attached.
      const release = async (): Promise<void> => {
        if (mounted) await unmount(execCommand, dir, { lazy: true }).catch(() => undefined);
        mounted = false;
      };
      onCleanup(release);
      if (format) await step('mkfs', { device }, () => makeExt4(execCommand, device));
      await step('mount', { device, dir }, () => mount(execCommand, device, dir));
      mounted = true;
      const result = await fn(dir);
      await step('unmount', { dir }, () => unmount(execCommand, dir));
      mounted = false;
      await step('detach', { node: node.id, blockDeviceId }, () => node.api.detachVolume(blockDeviceId));
      return result;
    },
  };
  return run;
}

/** Writes files of random content and returns their SHA-256 by name. */
export async function writeFiles(
  dir: string,
  prefix: string,
  bytes: number,
): Promise<Record<string, string>> {
  const sums: Record<string, string> = {};
  for (let index = 0; index < FILE_COUNT; index += 1) {
    const name = `${prefix}-${index}.bin`;
    const data = randomBytes(Math.ceil(bytes / FILE_COUNT));
    await writeFile(join(dir, name), data, { flush: true });
    sums[name] = sha256(data);
  }
  return sums;
}

/** Checks that `dir` holds exactly the `.bin` files `expected` names, with their checksums. */
export async function verifyFiles(dir: string, expected: Record<string, string>): Promise<void> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.bin')).sort();
  expect(names, 'files on the volume').toEqual(Object.keys(expected).sort());
  for (const name of names) {
    expect(sha256(await readFile(join(dir, name))), `checksum of ${name}`).toBe(expected[name]);
  }
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
