import type { Fabric } from '../fabric/fabric.js';
import { ROOT_DEVICE_NAME } from '../fabric/fabric.js';
import { FabricError } from '../fabric/fabric-error.js';
import type { Attachment, Instance, Volume } from '../fabric/types.js';
import type { ClientTokens } from './client-tokens.js';
import { Ec2Error, fromFabricError } from './ec2-error.js';
import { instanceMatcher, volumeMatcher } from './filters.js';
import { paginate } from './pagination.js';
import type { QueryParams } from './query.js';
import { checkVolumeType, DEFAULT_VOLUME_TYPE } from './volume-types.js';
import type { XmlObject } from './xml.js';

/** DescribeVolumes pages hold 5 to 500 volumes. */
export const DESCRIBE_VOLUMES_PAGE = { min: 5, max: 500 } as const;
/** DescribeInstances pages hold 5 to 1000 instances. */
export const DESCRIBE_INSTANCES_PAGE = { min: 5, max: 1000 } as const;
const VOLUME_ID = /^vol-([0-9a-f]{8}|[0-9a-f]{17})$/;
const INSTANCE_ID = /^i-([0-9a-f]{8}|[0-9a-f]{17})$/;
/** Instance state codes as DescribeInstances reports them. */
const STATE_CODES = { pending: 0, running: 16, stopping: 64, stopped: 80 } as const;
const OWNER_ID = '123456789012';

export interface ActionContext {
  readonly fabric: Fabric;
  readonly tokens: ClientTokens;
}

export type Action = (params: QueryParams, context: ActionContext) => XmlObject;

/** The EC2 actions the emulator speaks, by the name the `Action` parameter carries. */
export const ACTIONS: Readonly<Record<string, Action>> = {
  CreateVolume: createVolume,
  DeleteVolume: (params, { fabric }) => {
    const id = volumeId(params.required('VolumeId'));
    fabricCall(() => fabric.deleteVolume(visibleVolume(fabric, id).id));
    return { return: true };
  },
  DescribeVolumes: describeVolumes,
  AttachVolume: (params, { fabric }) => {
    const id = volumeId(params.required('VolumeId'));
    const instance = instanceId(params.required('InstanceId'));
    const device = params.required('Device');
    visibleVolume(fabric, id);
    return attachmentXml(
      id,
      fabricCall(() => fabric.attachVolume(id, instance, device)),
    );
  },
  DetachVolume: (params, { fabric }) => {
    const id = volumeId(params.required('VolumeId'));
    const instance = params.string('InstanceId');
    const force = params.string('Force') === 'true';
    visibleVolume(fabric, id);
    // Force ends what a fault holds (stuck attaching or detaching, busy), as EC2's forced detach does.
    return attachmentXml(
      id,
      fabricCall(() => fabric.detachVolume(id, { instanceId: instance, force })),
    );
  },
  StartInstances: (params, { fabric }) =>
    instanceStateChanges(params, fabric, (id) => fabric.startInstance(id)),
  StopInstances: (params, { fabric }) =>
    instanceStateChanges(params, fabric, (id) => fabric.stopInstance(id)),
  CreateTags: (params, { fabric }) => {
    const ids = params.list('ResourceId');
    const tags = params.tags('Tag');
    if (ids.length === 0)
      throw new Ec2Error('MissingParameter', 'The request must contain the parameter ResourceId');
    const targets = ids.map((id) => {
      if (id.startsWith('vol-')) return visibleVolume(fabric, volumeId(id)).tags;
      const instance = fabric.instance(instanceId(id));
      if (instance === undefined) throw notFoundInstance(id);
      return instance.tags;
    });
    for (const target of targets) for (const [key, value] of tags) target.set(key, value);
    return { return: true };
  },
  DescribeInstances: describeInstances,
  DescribeAvailabilityZones: (params, { fabric }) => {
    const names = params.list('ZoneName');
    for (const name of names) {
      if (!fabric.zones.includes(name)) {
        throw new Ec2Error(
          'InvalidParameterValue',
          `The zone '${name}' does not exist in the current region`,
        );
      }
    }
    const zones = names.length > 0 ? names : fabric.zones;
    return {
      availabilityZoneInfo: zones.map((zone, index) => ({
        zoneName: zone,
        zoneState: 'available',
        regionName: fabric.region,
        zoneId: `${fabric.region.replaceAll('-', '').slice(0, 4)}-az${index + 1}`,
        zoneType: 'availability-zone',
        optInStatus: 'opt-in-not-required',
      })),
    };
  },
};

function createVolume(params: QueryParams, { fabric, tokens }: ActionContext): XmlObject {
  const token = params.string('ClientToken');
  const fingerprint = params.fingerprint(['ClientToken']);
  const replay = tokens.replay('CreateVolume', token, fingerprint);
  if (replay !== undefined) {
    // EC2 answers a repeated token with its volume as it is now; once that volume is gone the token is
    // refused, whatever the parameters (what EBS CSI users met: kubernetes-sigs/aws-ebs-csi-driver#1428).
    const volume = fabric.volume(String(replay.volumeId));
    if (volume === undefined || volume.state === 'deleting' || volume.state === 'deleted') {
      throw tokenMismatch();
    }
    return volumeXml(volume);
  }
  const zone = params.required('AvailabilityZone');
  const size = params.integer('Size');
  if (size === undefined)
    throw new Ec2Error('MissingParameter', 'The request must contain the parameter size');
  const type = params.string('VolumeType') ?? DEFAULT_VOLUME_TYPE;
  const iops = checkVolumeType(type, size, params.integer('Iops'));
  const tags = params.tagSpecifications('volume');
  const volume = fabricCall(() =>
    fabric.createVolume({
      zone,
      sizeGiB: size,
      volumeType: type,
      iops,
      throughput: params.integer('Throughput') ?? (type === 'gp3' ? 125 : undefined),
      tags,
    }),
  );
  const reply = volumeXml(volume);
  tokens.remember('CreateVolume', token, fingerprint, reply);
  return reply;
}

/** StartInstances and StopInstances: every id checked first, then each changed, previous and current state. */
function instanceStateChanges(
  params: QueryParams,
  fabric: Fabric,
  change: (id: string) => Instance,
): XmlObject {
  const ids = params.list('InstanceId').map(instanceId);
  if (ids.length === 0)
    throw new Ec2Error('MissingParameter', 'The request must contain the parameter InstanceId');
  const instances = ids.map((id) => {
    const instance = fabric.instance(id);
    if (instance === undefined) throw notFoundInstance(id);
    return instance;
  });
  return {
    instancesSet: instances.map((instance) => {
      const previous = instance.state;
      const current = fabricCall(() => change(instance.id)).state;
      return {
        instanceId: instance.id,
        currentState: { code: STATE_CODES[current], name: current },
        previousState: { code: STATE_CODES[previous], name: previous },
      };
    }),
  };
}

function describeVolumes(params: QueryParams, { fabric }: ActionContext): XmlObject {
  const ids = params.list('VolumeId').map(volumeId);
  const matches = volumeMatcher(params.filters());
  let volumes: Volume[];
  if (ids.length > 0) {
    volumes = ids.map((id) => visibleVolume(fabric, id));
  } else {
    volumes = fabric.volumes().filter((volume) => fabric.isVisible(volume));
  }
  // As EC2 does, filters apply to each page: a page may be short, even empty, and still have a next one.
  const page = paginate(
    volumes,
    params,
    { ...DESCRIBE_VOLUMES_PAGE, idsGiven: ids.length > 0 },
    (volume) => volume.id,
  );
  return { volumeSet: page.items.filter(matches).map(volumeXml), nextToken: page.nextToken };
}

function describeInstances(params: QueryParams, { fabric }: ActionContext): XmlObject {
  const ids = params.list('InstanceId').map(instanceId);
  const matches = instanceMatcher(params.filters());
  const instances = (
    ids.length > 0
      ? ids.map((id) => {
          const instance = fabric.instance(id);
          if (instance === undefined) throw notFoundInstance(id);
          return instance;
        })
      : fabric.instances()
  ).filter(matches);
  const page = paginate(
    instances,
    params,
    { ...DESCRIBE_INSTANCES_PAGE, idsGiven: ids.length > 0 },
    (instance) => instance.id,
  );
  return {
    reservationSet: page.items.map((instance) => ({
      reservationId: `r-${instance.id.slice(2)}`,
      ownerId: OWNER_ID,
      groupSet: [],
      instancesSet: [instanceXml(fabric, instance)],
    })),
    nextToken: page.nextToken,
  };
}

function instanceXml(fabric: Fabric, instance: Instance): XmlObject {
  const attached = fabric.volumes().filter((volume) => volume.attachment?.instanceId === instance.id);
  return {
    instanceId: instance.id,
    imageId: 'ami-0123456789abcdef0',
    instanceState: { code: STATE_CODES[instance.state], name: instance.state },
    instanceType: instance.instanceType,
    launchTime: instance.launchTime,
    placement: { availabilityZone: instance.zone, tenancy: 'default' },
    architecture: 'x86_64',
    rootDeviceType: 'ebs',
    rootDeviceName: ROOT_DEVICE_NAME,
    blockDeviceMapping: [
      {
        deviceName: ROOT_DEVICE_NAME,
        ebs: {
          volumeId: `vol-${instance.id.slice(2)}`,
          status: 'attached',
          attachTime: instance.launchTime,
          deleteOnTermination: true,
        },
      },
      ...attached.map((volume) => ({
        deviceName: volume.attachment?.device,
        ebs: {
          volumeId: volume.id,
          status: volume.attachment?.state,
          attachTime: volume.attachment?.attachTime,
          deleteOnTermination: false,
        },
      })),
    ],
    tagSet: tagsXml(instance.tags),
  };
}

function volumeXml(volume: Volume): XmlObject {
  const attachment = volume.attachment;
  return {
    volumeId: volume.id,
    size: volume.sizeGiB,
    snapshotId: null,
    availabilityZone: volume.zone,
    status: volume.state,
    createTime: volume.createTime,
    attachmentSet: attachment === undefined ? [] : [attachmentXml(volume.id, attachment)],
    tagSet: tagsXml(volume.tags),
    volumeType: volume.volumeType,
    iops: volume.iops,
    throughput: volume.throughput,
    encrypted: false,
    multiAttachEnabled: false,
  };
}

function attachmentXml(id: string, attachment: Attachment): XmlObject {
  return {
    volumeId: id,
    instanceId: attachment.instanceId,
    device: attachment.device,
    status: attachment.state,
    attachTime: attachment.attachTime,
    deleteOnTermination: false,
  };
}

function tagsXml(tags: Map<string, string>): XmlObject[] | undefined {
  return tags.size === 0 ? undefined : [...tags].map(([key, value]) => ({ key, value }));
}

function volumeId(id: string): string {
  if (!VOLUME_ID.test(id)) {
    throw new Ec2Error('InvalidVolumeID.Malformed', `Invalid id: "${id}" (expecting "vol-...")`);
  }
  return id;
}

function instanceId(id: string): string {
  if (!INSTANCE_ID.test(id)) {
    throw new Ec2Error('InvalidInstanceID.Malformed', `Invalid id: "${id}" (expecting "i-...")`);
  }
  return id;
}

/** A volume as an eventually consistent API sees it: one created a moment ago may not exist yet. */
function visibleVolume(fabric: Fabric, id: string): Volume {
  const volume = fabric.volume(id);
  if (volume === undefined || !fabric.isVisible(volume)) {
    throw new Ec2Error('InvalidVolume.NotFound', `The volume '${id}' does not exist.`);
  }
  return volume;
}

function tokenMismatch(): Ec2Error {
  return new Ec2Error(
    'IdempotentParameterMismatch',
    'The client token you have provided is associated with a resource that has different parameters.',
  );
}

function notFoundInstance(id: string): Ec2Error {
  return new Ec2Error('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
}

function fabricCall<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw error instanceof FabricError ? fromFabricError(error) : error;
  }
}
