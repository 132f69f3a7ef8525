import { mkdir, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Exec } from '@flockerjs/core-interface';
import { deviceNumbersOf } from '../devices/loop-devices.js';
import type { Attachment } from '../fabric/types.js';

/** udev's by-id name for a virtio disk: the serial Nova sets is the volume id, cut to 20 characters. */
export function virtioByIdName(volumeId: string): string {
  return `virtio-${volumeId.slice(0, 20)}`;
}

interface Materialized {
  /** What exists so far, to remove on unplug even when made only in part. */
  nodes: string[];
  /** Set once every node exists: the guest sees a disk only whole, with its by-id link. */
  complete: boolean;
  /** Set once detach began: the device must not come back however the fabric's timers fall. */
  removed: boolean;
}

/**
 * How a guest's kernel names Cinder disks: `virtio` as KVM's virtio-blk (`vdX`, with a by-id link from the
 * serial), `xen` as a Xen guest's blkfront (`xvdX`, the name Nova reports, and no by-id link).
 */
export const DISK_BUSES = ['virtio', 'xen'] as const;
export type DiskBus = (typeof DISK_BUSES)[number];

/**
 * One server's `/dev` as a KVM (or Xen) guest's kernel and udev fill it: `vdX` block nodes with the loop device's numbers
 * and `disk/by-id/virtio-<id[:20]>` links. It is composed over the fabric's attachments: a device appears once
 * the fabric's attachment is `attached` (its loop device exists) and goes at the start of a detach, before the
 * fabric releases the loop device, as a hot-unplugged virtio disk does.
 */
export class VirtioDevices {
  readonly root: string;
  readonly bus: DiskBus;
  readonly #exec: Exec;
  readonly #made = new WeakMap<Attachment, Materialized>();

  constructor(root: string, exec: Exec, bus: DiskBus = 'virtio') {
    this.root = root;
    this.#exec = exec;
    this.bus = bus;
  }

  /** The guest's name for the disk in slot `letter`, as Nova reports it too: `/dev/vdb`, `/dev/xvdb`. */
  deviceName(letter: string): string {
    return `/dev/${this.bus === 'xen' ? 'xvd' : 'vd'}${letter}`;
  }

  async prepare(): Promise<void> {
    await mkdir(join(this.root, 'disk', 'by-id'), { recursive: true });
    await mkdir(join(this.root, 'disk', 'by-label'), { recursive: true });
  }

  /**
   * Whether the guest sees the device of this attachment: its node and by-id link both exist. Cinder reports
   * `in-use` only then, as the real attach completes only once the guest has the disk, and a driver that waits
   * for `in-use` reads the by-id link next.
   */
  present(attachment: Attachment): boolean {
    const made = this.#made.get(attachment);
    return made?.complete === true && !made.removed;
  }

  /** Makes the nodes of an attached attachment that has none yet; `letter` is the slot Nova reported. */
  async materialize(attachment: Attachment, volumeId: string, letter: string): Promise<void> {
    if (attachment.state !== 'attached' || attachment.loopDevice === undefined) return;
    if (this.#made.has(attachment)) return;
    const made: Materialized = { nodes: [], complete: false, removed: false };
    this.#made.set(attachment, made);
    const { major, minor } = await deviceNumbersOf(attachment.loopDevice);
    if (made.removed) return;
    const name = this.deviceName(letter).slice('/dev/'.length);
    const node = join(this.root, name);
    await rm(node, { force: true });
    await this.#exec('mknod', ['--mode=0660', '--', node, 'b', String(major), String(minor)]);
    made.nodes = [node];
    if (this.bus === 'virtio') {
      const link = join(this.root, 'disk', 'by-id', virtioByIdName(volumeId));
      await rm(link, { force: true });
      await symlink(`../../${name}`, link);
      made.nodes = [link, node];
    }
    made.complete = true;
    if (made.removed) await this.#removeNodes(made);
  }

  /** Removes the guest's view of the attachment, for good. */
  async unplug(attachment: Attachment): Promise<void> {
    const made = this.#made.get(attachment) ?? { nodes: [], complete: false, removed: true };
    made.removed = true;
    this.#made.set(attachment, made);
    await this.#removeNodes(made);
  }

  async #removeNodes(made: Materialized): Promise<void> {
    for (const node of made.nodes) await rm(node, { force: true });
    made.nodes = [];
  }
}
