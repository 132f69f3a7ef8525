import { mkdir, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Exec } from '@flockerjs/core-interface';
import type { DeviceMode } from '../fabric/types.js';
import { deviceNumbersOf } from './loop-devices.js';

/** The link udev makes for an EBS volume on Nitro: the volume id without its dash. */
export const NVME_BY_ID_PREFIX = 'nvme-Amazon_Elastic_Block_Store_';
/** Requested names EC2 accepts for EBS volumes on Linux. */
export const EBS_DEVICE_NAME = /^\/dev\/(sd[b-z]|xvd[b-z]|xvd[b-d][a-z])$/;

/** The by-id link name of a volume on a Nitro instance. */
export function nvmeByIdName(volumeId: string): string {
  return `${NVME_BY_ID_PREFIX}${volumeId.replace('-', '')}`;
}

/** The kernel name a Xen instance gives a volume attached as `requested`: `/dev/sdf` and `/dev/xvdf` are `xvdf`. */
export function xenDeviceName(requested: string): string {
  const match = /^\/dev\/(?:sd|xvd)([a-z]{1,2})$/.exec(requested);
  if (match === null) throw new TypeError(`not an EBS device name: ${JSON.stringify(requested)}`);
  return `xvd${match[1]}`;
}

/**
 * One instance's `/dev`, as its kernel and udev would fill it: device nodes with the loop device's numbers
 * (real block devices, not links), and on Nitro the by-id links. Nitro numbers NVMe controllers from 1 up,
 * reusing the lowest free number, since `nvme0n1` is the root volume.
 */
export class DeviceDirectory {
  readonly root: string;
  readonly #mode: DeviceMode;
  readonly #exec: Exec;
  readonly #nvmeInUse = new Set<number>();

  constructor(root: string, mode: DeviceMode, exec: Exec) {
    this.root = root;
    this.#mode = mode;
    this.#exec = exec;
  }

  async prepare(): Promise<void> {
    await mkdir(join(this.root, 'disk', 'by-id'), { recursive: true });
  }

  /** Makes the nodes for `volumeId` served by `loopDevice`; returns their paths, the device node first. */
  async add(volumeId: string, requested: string, loopDevice: string): Promise<string[]> {
    const { major, minor } = await deviceNumbersOf(loopDevice);
    const name = this.#mode === 'nitro' ? `nvme${this.#nextNvme()}n1` : xenDeviceName(requested);
    const node = join(this.root, name);
    await rm(node, { force: true });
    await this.#exec('mknod', ['--mode=0660', '--', node, 'b', String(major), String(minor)]);
    if (this.#mode === 'xen') return [node];
    const link = join(this.root, 'disk', 'by-id', nvmeByIdName(volumeId));
    await rm(link, { force: true });
    await symlink(`../../${name}`, link);
    return [node, link];
  }

  async remove(nodes: readonly string[]): Promise<void> {
    for (const node of nodes) {
      await rm(node, { force: true });
      const nvme = /\/nvme(\d+)n1$/.exec(node);
      if (nvme !== null) this.#nvmeInUse.delete(Number(nvme[1]));
    }
  }

  #nextNvme(): number {
    let index = 1;
    while (this.#nvmeInUse.has(index)) index += 1;
    this.#nvmeInUse.add(index);
    return index;
  }
}
