/** Volume states, as EC2 names them; other front ends map them to their own vocabulary. */
export const VOLUME_STATES = ['creating', 'available', 'in-use', 'deleting', 'deleted', 'error'] as const;
export type VolumeState = (typeof VOLUME_STATES)[number];

export const ATTACHMENT_STATES = ['attaching', 'attached', 'detaching', 'detached', 'busy'] as const;
export type AttachmentState = (typeof ATTACHMENT_STATES)[number];

/** Instance states, as EC2 names them; `pending` is a started instance on its way to `running`. */
export const INSTANCE_STATES = ['pending', 'running', 'stopping', 'stopped'] as const;
export type InstanceState = (typeof INSTANCE_STATES)[number];

/**
 * How an instance's kernel names attached volumes: `nitro` as NVMe namespaces (`nvme1n1`, with
 * `disk/by-id/nvme-Amazon_Elastic_Block_Store_vol…` links), `xen` by the requested name (`/dev/sdf` is `xvdf`).
 */
export const DEVICE_MODES = ['nitro', 'xen'] as const;
export type DeviceMode = (typeof DEVICE_MODES)[number];

/** How long each transition takes, in milliseconds. */
export interface Timings {
  /** `creating -> available`. */
  readonly createMs: number;
  /** `attaching -> attached`; the device appears at its end. */
  readonly attachMs: number;
  /** `detaching -> detached`; the device disappears at its end. */
  readonly detachMs: number;
  /** `deleting -> deleted`. */
  readonly deleteMs: number;
  /** `pending -> running` of a started instance. @default 200 */
  readonly instanceMs?: number;
}

export interface Attachment {
  readonly instanceId: string;
  /** The device name the attach request asked for (`/dev/sdf`), as the API reports it. */
  readonly device: string;
  state: AttachmentState;
  readonly attachTime: Date;
  /** Device nodes made for it in the instance's device directory, once attached. */
  nodes: readonly string[];
  /** The loop device serving it, once attached. */
  loopDevice: string | undefined;
}

export interface Volume {
  readonly id: string;
  readonly zone: string;
  /** GiB, as every block-storage API counts. */
  readonly sizeGiB: number;
  readonly volumeType: string;
  readonly iops: number | undefined;
  readonly throughput: number | undefined;
  readonly createTime: Date;
  state: VolumeState;
  readonly tags: Map<string, string>;
  attachment: Attachment | undefined;
  /** Looks (listings, lookups by id) the volume is still missing from: eventual consistency. */
  invisibleLooks: number;
  /** What put the volume in `error`: its creation or an attachment. */
  failure: 'create' | 'attach' | undefined;
  /** Sparse file holding the data, made on first attach. */
  readonly backingFile: string;
}

export interface Instance {
  readonly id: string;
  readonly zone: string;
  readonly instanceType: string;
  readonly deviceMode: DeviceMode;
  state: InstanceState;
  readonly launchTime: Date;
  readonly tags: Map<string, string>;
  /** Stands in for the instance's `/dev`. */
  readonly deviceRoot: string;
  /** Names the instance holds that no API lists (AMI-attached devices): attaching there is refused. */
  readonly hiddenDevices: ReadonlySet<string>;
}
