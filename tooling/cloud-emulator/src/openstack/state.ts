import type { Fabric } from '../fabric/fabric.js';
import type { Volume } from '../fabric/types.js';
import { cinderTime } from './http.js';
import type { VirtioDevices } from './virtio-devices.js';

/** What Cinder knows of a volume beyond the fabric's record: its UUID, name and description. */
export interface CinderVolume {
  readonly id: string;
  readonly fabricId: string;
  readonly name: string | null;
  readonly description: string | null;
  readonly userId: string;
  bootable: boolean;
}

/** What Nova knows of a server beyond the fabric's instance. */
export interface NovaServer {
  readonly id: string;
  readonly name: string;
  readonly addresses: readonly string[];
  readonly created: Date;
  readonly devices: VirtioDevices;
  /** Device letter (`b` for `/dev/vdb`) of each attached Cinder volume id. */
  readonly letters: Map<string, string>;
}

/** The OpenStack front end's records over the shared fabric. */
export class OpenStackState {
  readonly fabric: Fabric;
  readonly volumes = new Map<string, CinderVolume>();
  readonly byFabricId = new Map<string, CinderVolume>();
  readonly servers = new Map<string, NovaServer>();
  readonly volumeTypes: readonly string[];
  /** The most items one listing page holds (Cinder's `osapi_max_limit`, Nova's `max_limit`). */
  readonly pageLimit: number;

  constructor(fabric: Fabric, volumeTypes: readonly string[], pageLimit: number) {
    this.fabric = fabric;
    this.volumeTypes = volumeTypes;
    this.pageLimit = pageLimit;
  }

  /** The fabric volume behind a Cinder id, when both exist. */
  fabricVolume(record: CinderVolume): Volume | undefined {
    return this.fabric.volume(record.fabricId);
  }

  /**
   * Cinder's status for a volume, mapped from the fabric's volume and attachment states and its faults: an
   * attach that failed is `error_attaching`; a detach the guest refused (busy) is `in-use` again, as after
   * Nova rolls a failed detach back.
   */
  status(_record: CinderVolume, volume: Volume): string {
    if (volume.state === 'error') return volume.failure === 'attach' ? 'error_attaching' : 'error';
    if (volume.state !== 'in-use') return volume.state;
    const attachment = volume.attachment;
    if (attachment === undefined || attachment.state === 'busy') return 'in-use';
    // Real Cinder under Nova's attach flow shows `reserved` until the connection is made, then `in-use`.
    if (attachment.state === 'attaching') return 'reserved';
    if (attachment.state === 'detaching') return 'detaching';
    const server = this.servers.get(attachment.instanceId);
    const seen = !this.fabric.devices || server === undefined || server.devices.present(attachment);
    return seen ? 'in-use' : 'attaching';
  }

  /** A volume as Cinder v3's `volumes/detail` and `volumes/{id}` show it. */
  volumeJson(record: CinderVolume, volume: Volume, base: string, projectId: string): Record<string, unknown> {
    const status = this.status(record, volume);
    const attachment = volume.attachment;
    const server = attachment === undefined ? undefined : this.servers.get(attachment.instanceId);
    const shown = attachment !== undefined && (status === 'in-use' || status === 'detaching');
    return {
      id: record.id,
      status,
      size: volume.sizeGiB,
      availability_zone: volume.zone,
      created_at: cinderTime(volume.createTime),
      updated_at: cinderTime(volume.createTime),
      name: record.name,
      description: record.description,
      volume_type: volume.volumeType,
      snapshot_id: null,
      source_volid: null,
      metadata: Object.fromEntries(volume.tags),
      links: [
        { rel: 'self', href: `${base}/v3/${projectId}/volumes/${record.id}` },
        { rel: 'bookmark', href: `${base}/${projectId}/volumes/${record.id}` },
      ],
      user_id: record.userId,
      bootable: String(record.bootable),
      encrypted: false,
      replication_status: null,
      consistencygroup_id: null,
      multiattach: false,
      attachments: shown
        ? [
            {
              id: record.id,
              attachment_id: `${record.id.slice(0, 24)}${attachment.instanceId.slice(-12)}`,
              volume_id: record.id,
              server_id: attachment.instanceId,
              host_name: 'emulated-compute',
              device: server?.devices.deviceName(server.letters.get(record.id) ?? 'b') ?? '/dev/vdb',
              attached_at: cinderTime(attachment.attachTime),
            },
          ]
        : [],
      migration_status: null,
      'os-vol-tenant-attr:tenant_id': projectId,
      'os-vol-host-attr:host': 'emulated@fabric#fabric',
    };
  }

  /**
   * Brings each server's guest view in line with the fabric: devices for attachments the fabric finished,
   * none for one that is detaching (a busy one ended its hold), and no device letter for a volume no longer
   * attached there (its attach failed). Runs before each answer and on a timer.
   */
  async syncDevices(): Promise<void> {
    for (const server of this.servers.values()) {
      for (const [volumeId, letter] of server.letters) {
        const record = this.volumes.get(volumeId);
        const volume = record === undefined ? undefined : this.fabricVolume(record);
        const attachment = volume?.attachment;
        if (attachment?.instanceId !== server.id) {
          server.letters.delete(volumeId);
        } else if (attachment.state === 'detaching') {
          await server.devices.unplug(attachment);
        } else if (attachment.state === 'attached') {
          await server.devices.materialize(attachment, volumeId, letter);
        }
      }
    }
  }
}
