import { randomUUID } from 'node:crypto';
import {
  link,
  mkdir,
  readdir,
  readFile,
  realpath,
  rename,
  rm,
  stat,
  truncate,
  writeFile,
} from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  AlreadyAttachedError,
  assertDatasetId,
  BackendError,
  type BlockDeviceVolume,
  blockDeviceVolume,
  type Capabilities,
  checkAllocatableSize,
  DatasetExistsError,
  type DriverContext,
  type Exec,
  execCommand,
  InvalidConfigError,
  InvalidIdError,
  InvalidSizeError,
  type IProfiledBlockDeviceAPI,
  type IResizableBlockDeviceAPI,
  type Logger,
  silentLogger,
  UnattachedVolumeError,
  UnknownInstanceIdError,
  UnknownVolumeError,
  withAttachedTo,
} from '@flockerjs/core-interface';
import { attachLoopDevice, detachLoopDevicesOf, fileId, listLoopDevices } from '@flockerjs/linux-block';
import { type LoopbackConfig, NODE_ID_PATTERN } from './config.js';
import {
  ATTACHED_DIR,
  blockDeviceIdFor,
  datasetIdOf,
  isStagingFileOf,
  NODE_ID_FILE,
  PROFILES_DIR,
  parseVolumeFileName,
  STAGING_PREFIX,
  UNATTACHED_DIR,
  volumeDir,
  volumeFileName,
} from './layout.js';

export const DRIVER_NAME = 'loopback';
/** 16 MiB: enough for an ext4 journal, as the original's LOOPBACK_MINIMUM_ALLOCATABLE_SIZE. */
export const MINIMUM_ALLOCATABLE_SIZE = 16 * 1024 * 1024;
export const ROOT_REQUIRED =
  'the loopback backend needs root privileges: it attaches volumes with losetup, which only root may run';
const PROFILE_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** What {@link LoopbackDriver.open} takes besides the config: the loader's context and the driver's own I/O. */
export interface LoopbackContext extends DriverContext {
  /**
   * Runs losetup. @default the real one, which needs root: `open` refuses to start without it. A caller that
   * injects its own (a test of what needs no loop device) needs no root.
   */
  readonly exec?: Exec;
  /** @default `process.getuid` */
  readonly getuid?: () => number;
}

interface Located {
  readonly volume: BlockDeviceVolume;
  readonly path: string;
}

export class LoopbackDriver implements IProfiledBlockDeviceAPI, IResizableBlockDeviceAPI {
  readonly capabilities: Capabilities = Object.freeze({
    profiles: true,
    cloudApi: false,
    startNode: false,
    resize: true,
    // The block device id is derived from the dataset: a second volume for it cannot exist.
    idempotentCreate: false,
    destroysAttached: false,
  });
  readonly #root: string;
  readonly #nodeId: string;
  readonly #allocationUnit: number;
  readonly #exec: Exec;

  /** Use {@link LoopbackDriver.open}, which prepares the root directory and the node id. */
  constructor(
    settings: { root: string; nodeId: string; allocationUnit: number },
    deps: { readonly exec: Exec; readonly logger: Logger },
  ) {
    this.#root = settings.root;
    this.#nodeId = settings.nodeId;
    this.#allocationUnit = settings.allocationUnit;
    this.#exec = (file, args) =>
      deps.logger.action(`${DRIVER_NAME}:exec`, { argv: [file, ...args] }, () => deps.exec(file, args));
  }

  /**
   * Checks privileges, creates the root's directories, and settles this node's id: the configured one, or
   * the one kept in `<root>/node-id` (made on first use), so it survives restarts.
   * @throws `BACKEND` when the real losetup would run without root.
   */
  static async open(config: LoopbackConfig, context: LoopbackContext = {}): Promise<LoopbackDriver> {
    const getuid = context.getuid ?? process.getuid ?? (() => 0);
    if (context.exec === undefined && getuid() !== 0) {
      throw new BackendError('open', `${ROOT_REQUIRED} (running as uid ${getuid()})`);
    }
    for (const dir of [UNATTACHED_DIR, ATTACHED_DIR, PROFILES_DIR]) {
      await mkdir(join(config.root_path, dir), { recursive: true });
    }
    const root = await realpath(config.root_path);
    const nodeId = config.compute_instance_id ?? (await persistedNodeId(root));
    return new LoopbackDriver(
      { root, nodeId, allocationUnit: config.allocation_unit },
      { exec: context.exec ?? execCommand, logger: context.logger ?? silentLogger },
    );
  }

  async allocationUnit(): Promise<number> {
    return this.#allocationUnit;
  }

  async computeInstanceId(): Promise<string> {
    return this.#nodeId;
  }

  async createVolume(datasetId: string, size: number): Promise<BlockDeviceVolume> {
    assertDatasetId(datasetId);
    checkAllocatableSize(this.#allocationUnit, size);
    const blockDeviceId = blockDeviceIdFor(datasetId);
    if ((await this.#find(blockDeviceId)) !== undefined)
      throw new DatasetExistsError(datasetId, blockDeviceId);
    const dir = join(this.#root, UNATTACHED_DIR);
    const path = join(dir, volumeFileName(blockDeviceId, size));
    // Sized under a name no listing reads, then linked into place: a crash half-way never leaves a volume of the
    // wrong size (mkfs would refuse it in every later round), only a staging file that the create which succeeds
    // next, or the destroy, sweeps. Each create stages its own file, so no other create can empty it before the
    // link, and the sweep runs only once the volume exists, when any other staging file is a loser's.
    const staging = `${STAGING_PREFIX}${volumeFileName(blockDeviceId, size)}.${randomUUID()}`;
    try {
      // Sparse: the file takes no space until written.
      await writeFile(join(dir, staging), '', { flag: 'wx' });
      await truncate(join(dir, staging), size);
      await link(join(dir, staging), path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // EEXIST: another create of this dataset linked first; ENOENT: it swept our staging file and finished.
      if ((code === 'EEXIST' || code === 'ENOENT') && (await this.#find(blockDeviceId)) !== undefined) {
        throw new DatasetExistsError(datasetId, blockDeviceId);
      }
      throw new BackendError('createVolume', `cannot create ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    } finally {
      await rm(join(dir, staging), { force: true });
    }
    await sweepStaging(dir, blockDeviceId);
    return blockDeviceVolume({ blockDeviceId, size, attachedTo: null, datasetId });
  }

  async createVolumeWithProfile(
    datasetId: string,
    size: number,
    profileName: string,
  ): Promise<BlockDeviceVolume> {
    if (!PROFILE_NAME.test(profileName)) {
      throw new InvalidConfigError([`profile: ${JSON.stringify(profileName)} is not a valid profile name`]);
    }
    const volume = await this.createVolume(datasetId, size);
    try {
      await writeFile(join(this.#root, PROFILES_DIR, volume.blockDeviceId), `${profileName}\n`);
    } catch (error) {
      await this.destroyVolume(volume.blockDeviceId);
      throw error;
    }
    return volume;
  }

  async destroyVolume(blockDeviceId: string): Promise<void> {
    const { volume, path } = await this.#locate(blockDeviceId);
    if (volume.attachedTo !== null) throw new AlreadyAttachedError(blockDeviceId, volume.attachedTo);
    await rm(path).catch(async (error: NodeJS.ErrnoException) => {
      // Attached or destroyed by another node meanwhile: report what it is now.
      if (error.code !== 'ENOENT') throw error;
      const now = await this.#locate(blockDeviceId);
      throw new AlreadyAttachedError(blockDeviceId, now.volume.attachedTo);
    });
    await rm(join(this.#root, PROFILES_DIR, blockDeviceId), { force: true });
    await sweepStaging(join(this.#root, UNATTACHED_DIR), blockDeviceId);
  }

  async attachVolume(blockDeviceId: string, attachTo: string): Promise<BlockDeviceVolume> {
    const { volume, path } = await this.#locate(blockDeviceId);
    if (volume.attachedTo !== null) throw new AlreadyAttachedError(blockDeviceId, volume.attachedTo);
    if (!NODE_ID_PATTERN.test(attachTo))
      throw new InvalidIdError('node id', attachTo, NODE_ID_PATTERN.source);
    const dir = volumeDir(this.#root, attachTo);
    await mkdir(dir, { recursive: true });
    const attachedPath = join(dir, volumeFileName(blockDeviceId, volume.size));
    // The rename is the attachment: atomic, so of two nodes attaching at once exactly one wins.
    await rename(path, attachedPath).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
      const now = await this.#locate(blockDeviceId);
      throw new AlreadyAttachedError(blockDeviceId, now.volume.attachedTo);
    });
    if (attachTo === this.#nodeId) {
      try {
        await attachLoopDevice(this.#exec, attachedPath);
      } catch (error) {
        const detail = `losetup could not attach ${blockDeviceId}: ${message(error)}`;
        await rename(attachedPath, path).catch((undo: Error) => {
          throw new BackendError('attachVolume', `${detail}; moving it back failed too: ${undo.message}`, {
            cause: new AggregateError([error, undo]),
          });
        });
        throw new BackendError('attachVolume', detail, { cause: error });
      }
    }
    return withAttachedTo(volume, attachTo);
  }

  async detachVolume(blockDeviceId: string): Promise<void> {
    const { volume, path } = await this.#locate(blockDeviceId);
    if (volume.attachedTo === null) throw new UnattachedVolumeError(blockDeviceId);
    await detachLoopDevicesOf(this.#exec, () => this.#devicesOf(path), blockDeviceId);
    await rename(path, join(volumeDir(this.#root, null), volumeFileName(blockDeviceId, volume.size)));
  }

  async listVolumes(): Promise<readonly BlockDeviceVolume[]> {
    return (await this.#scan()).map((located) => located.volume);
  }

  async getDevicePath(blockDeviceId: string): Promise<string> {
    const { volume, path } = await this.#locate(blockDeviceId);
    if (volume.attachedTo === null) throw new UnattachedVolumeError(blockDeviceId);
    if (volume.attachedTo !== this.#nodeId) {
      throw new UnattachedVolumeError(
        blockDeviceId,
        `is attached to node ${JSON.stringify(volume.attachedTo)}, not to this node ${JSON.stringify(this.#nodeId)}`,
      );
    }
    const [device] = await this.#devicesOf(path);
    // No device for an attached volume means the host rebooted: attach it again rather than report nothing.
    return device ?? attachLoopDevice(this.#exec, path);
  }

  async resizeVolume(blockDeviceId: string, size: number): Promise<BlockDeviceVolume> {
    const { volume, path } = await this.#locate(blockDeviceId);
    if (volume.attachedTo !== null) throw new AlreadyAttachedError(blockDeviceId, volume.attachedTo);
    checkAllocatableSize(this.#allocationUnit, size);
    if (size <= volume.size) {
      throw new InvalidSizeError(size, `volumes never shrink, and ${blockDeviceId} has ${volume.size} bytes`);
    }
    // Grown before renamed: a crash in between leaves a file larger than its name, which the next resize
    // finishes; the other order would list a size the file does not have.
    try {
      await truncate(path, size);
      await rename(path, join(dirname(path), volumeFileName(blockDeviceId, size)));
    } catch (error) {
      // Attached by another node meanwhile: its file moved away.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      const now = await this.#locate(blockDeviceId);
      throw new AlreadyAttachedError(blockDeviceId, now.volume.attachedTo);
    }
    return blockDeviceVolume({ ...volume, size });
  }

  // --- internals ---

  async #locate(blockDeviceId: string): Promise<Located> {
    const located = await this.#find(blockDeviceId);
    if (located === undefined) throw new UnknownVolumeError(blockDeviceId);
    return located;
  }

  async #find(blockDeviceId: string): Promise<Located | undefined> {
    // Ids from outside never become paths: only a well-formed id is looked for, by comparing names.
    if (typeof blockDeviceId !== 'string' || datasetIdOf(blockDeviceId) === undefined) return undefined;
    return (await this.#scan()).find((located) => located.volume.blockDeviceId === blockDeviceId);
  }

  async #scan(): Promise<Located[]> {
    const nodes = await readdir(join(this.#root, ATTACHED_DIR));
    const dirs: [string | null, string][] = [
      [null, volumeDir(this.#root, null)],
      ...nodes
        .filter((node) => NODE_ID_PATTERN.test(node))
        .map((node): [string, string] => [node, volumeDir(this.#root, node)]),
    ];
    const found = await Promise.all(
      dirs.map(async ([attachedTo, dir]) =>
        (await readdir(dir).catch(() => [])).flatMap((name) => {
          const parsed = parseVolumeFileName(name);
          const datasetId = parsed && datasetIdOf(parsed.blockDeviceId);
          if (parsed === undefined || datasetId === undefined) return [];
          const volume = blockDeviceVolume({
            blockDeviceId: parsed.blockDeviceId,
            size: parsed.size,
            attachedTo,
            datasetId,
          });
          return [{ volume, path: join(dir, name) }];
        }),
      ),
    );
    return found.flat();
  }

  /** Loop devices backed by `path`, matched by file identity rather than by name. */
  async #devicesOf(path: string): Promise<string[]> {
    const id = fileId(await stat(path));
    const devices = await listLoopDevices(this.#exec);
    return devices
      .filter((device) => device.backingId === id)
      .map((device) => device.device)
      .sort();
  }
}

/** Removes what creates of `blockDeviceId` that were killed half-way left in `dir`. */
async function sweepStaging(dir: string, blockDeviceId: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (isStagingFileOf(name, blockDeviceId)) await rm(join(dir, name), { force: true });
  }
}

async function persistedNodeId(root: string): Promise<string> {
  const file = join(root, NODE_ID_FILE);
  try {
    await writeFile(file, `${randomUUID()}\n`, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const nodeId = (await readFile(file, 'utf8')).trim();
  if (!NODE_ID_PATTERN.test(nodeId))
    throw new UnknownInstanceIdError(`${file} holds ${JSON.stringify(nodeId)}`);
  return nodeId;
}

function message(error: unknown): string {
  const stderr = (error as { stderr?: unknown }).stderr;
  return typeof stderr === 'string' && stderr !== '' ? stderr : (error as Error).message;
}
