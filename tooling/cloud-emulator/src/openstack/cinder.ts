import { randomUUID } from 'node:crypto';
import { FabricError } from '../fabric/fabric-error.js';
import { asObject, badRequest, notFound, type OpenStackError } from './http.js';
import type { Token } from './keystone.js';
import type { CinderVolume, OpenStackState } from './state.js';

/** Cinder's default `osapi_max_limit`: the most volumes one listing page holds. */
export const CINDER_MAX_PAGE = 1000;
/** Cinder's default volume type when none is configured (Victoria and later). */
export const DEFAULT_VOLUME_TYPE = '__DEFAULT__';
/** The message Cinder gives for deleting a volume that is not available (checked against Cinder 21). */
export const DELETE_REFUSED =
  'Invalid volume: Volume status must be available or error or error_restoring or error_extending or ' +
  'error_managing and must not be migrating, attached, belong to a group, have snapshots, awaiting a ' +
  'transfer, or be disassociated from snapshots after volume transfer.';

/** The statuses Cinder deletes a volume in (`error_attaching` is not one: it takes an admin's reset first). */
const DELETABLE: readonly string[] = [
  'available',
  'error',
  'error_restoring',
  'error_extending',
  'error_managing',
];

export interface CinderRequest {
  readonly method: string;
  /** Path after `/v3/{project_id}`, e.g. `/volumes/detail`. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: unknown;
  readonly token: Token;
  /** `http://host:port/volume`, for links. */
  readonly base: string;
}

/** Names an operation for fault injection and call counts; `undefined` when the route is unknown. */
export function cinderOperation(method: string, path: string): string | undefined {
  if (path === '/volumes' && method === 'POST') return 'cinder:CreateVolume';
  if ((path === '/volumes' || path === '/volumes/detail') && method === 'GET') return 'cinder:ListVolumes';
  if (/^\/volumes\/[^/]+$/.test(path)) {
    if (method === 'GET') return 'cinder:GetVolume';
    if (method === 'DELETE') return 'cinder:DeleteVolume';
  }
  if (/^\/volumes\/[^/]+\/metadata$/.test(path)) return 'cinder:VolumeMetadata';
  if (/^\/volumes\/[^/]+\/action$/.test(path) && method === 'POST') return 'cinder:VolumeAction';
  if (path === '/types' && method === 'GET') return 'cinder:ListVolumeTypes';
  return undefined;
}

/** Cinder v3: one call, applied to the state. */
export function handleCinder(
  state: OpenStackState,
  request: CinderRequest,
): { status: number; body?: unknown } {
  const { method, path, token } = request;
  const url = `${request.base}`;
  if (path === '/volumes' && method === 'POST') return createVolume(state, request);
  if (path === '/volumes/detail' && method === 'GET')
    return { status: 200, body: list(state, request, true) };
  if (path === '/volumes' && method === 'GET') return { status: 200, body: list(state, request, false) };
  if (path === '/types' && method === 'GET') {
    return {
      status: 200,
      body: { volume_types: state.volumeTypes.map((name) => ({ id: typeId(name), name, is_public: true })) },
    };
  }
  const parts = path.split('/').filter(Boolean);
  const record = lookup(state, parts[1] ?? '');
  const volume = state.fabricVolume(record);
  if (volume === undefined) throw volumeNotFound(record.id);
  if (parts.length === 2 && method === 'GET') {
    return { status: 200, body: { volume: state.volumeJson(record, volume, url, token.projectId) } };
  }
  if (parts.length === 2 && method === 'DELETE') {
    if (!DELETABLE.includes(state.status(record, volume))) throw badRequest(DELETE_REFUSED);
    state.fabric.deleteVolume(volume.id);
    return { status: 202 };
  }
  if (parts[2] === 'metadata') {
    if (method === 'GET') return { status: 200, body: { metadata: Object.fromEntries(volume.tags) } };
    const metadata = asObject(asObject(request.body)?.metadata);
    if (metadata === undefined) throw badRequest('Malformed request body');
    if (method === 'PUT') volume.tags.clear();
    for (const [key, value] of Object.entries(metadata)) volume.tags.set(key, String(value));
    return { status: 200, body: { metadata: Object.fromEntries(volume.tags) } };
  }
  if (parts[2] === 'action' && method === 'POST') {
    const bootable = asObject(asObject(request.body)?.['os-set_bootable'])?.bootable;
    if (bootable === undefined) throw badRequest('There is no such action');
    record.bootable = bootable === true || bootable === 'true';
    return { status: 200 };
  }
  throw notFound('The resource could not be found.');
}

export function volumeNotFound(id: string): OpenStackError {
  return notFound(`Volume ${id} could not be found.`);
}

// --- internals ---

function lookup(state: OpenStackState, id: string): CinderVolume {
  const record = state.volumes.get(id);
  if (record === undefined || state.fabricVolume(record) === undefined) throw volumeNotFound(id);
  return record;
}

function createVolume(state: OpenStackState, request: CinderRequest): { status: number; body: unknown } {
  const spec = asObject(asObject(request.body)?.volume);
  if (spec === undefined)
    throw badRequest("Invalid input for field/attribute volume. Value: None. None is not of type 'object'");
  const size = spec.size;
  if (typeof size !== 'number' || !Number.isInteger(size)) {
    throw badRequest(
      `Invalid input for field/attribute size. Value: ${String(size)}. '${String(size)}' is not of type 'integer'`,
    );
  }
  if (size < 1)
    throw badRequest(
      `Invalid input for field/attribute size. Value: ${size}. ${size} is less than the minimum of 1`,
    );
  const type = typeof spec.volume_type === 'string' ? spec.volume_type : DEFAULT_VOLUME_TYPE;
  if (!state.volumeTypes.includes(type)) throw notFound(`Volume type with name ${type} could not be found.`);
  const zone = typeof spec.availability_zone === 'string' ? spec.availability_zone : state.fabric.zones[0];
  if (zone === undefined || !state.fabric.zones.includes(zone)) {
    throw badRequest(`Availability zone '${String(zone)}' is invalid.`);
  }
  const metadata = spec.metadata === undefined || spec.metadata === null ? {} : asObject(spec.metadata);
  if (metadata === undefined) throw badRequest('Invalid input for field/attribute metadata.');
  const name = stringOrNull(spec.name ?? spec.display_name);
  const description = stringOrNull(spec.description ?? spec.display_description);
  let volume: ReturnType<OpenStackState['fabric']['createVolume']>;
  try {
    volume = state.fabric.createVolume({
      zone,
      sizeGiB: size,
      volumeType: type,
      tags: Object.entries(metadata).map(([key, value]) => [key, String(value)] as const),
    });
  } catch (error) {
    if (error instanceof FabricError) throw badRequest(error.message);
    throw error;
  }
  const record: CinderVolume = {
    id: randomUUID(),
    fabricId: volume.id,
    name,
    description,
    userId: request.token.userId,
    bootable: false,
  };
  state.volumes.set(record.id, record);
  state.byFabricId.set(volume.id, record);
  const body = state.volumeJson(record, volume, request.base, request.token.projectId);
  // The create reply lacks the listing-only attributes, as Cinder's does.
  for (const key of ['os-vol-tenant-attr:tenant_id', 'os-vol-host-attr:host']) delete body[key];
  return { status: 202, body: { volume: body } };
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** `GET volumes[/detail]`: filters, newest first, then `marker` and `limit` as Cinder pages. */
function list(state: OpenStackState, request: CinderRequest, detailed: boolean): unknown {
  const { query, token } = request;
  const limitText = query.get('limit');
  let limit = state.pageLimit;
  if (limitText !== null) {
    if (!/^-?\d+$/.test(limitText)) throw badRequest('limit param must be an integer');
    const requested = Number(limitText);
    if (requested < 0) throw badRequest('limit param must be positive');
    limit = Math.min(requested, state.pageLimit);
  }
  const filters = metadataFilter(query.get('metadata'));
  const name = query.get('name');
  const status = query.get('status');
  const rows = [...state.volumes.values()]
    .flatMap((record) => {
      const volume = state.fabricVolume(record);
      return volume === undefined || volume.state === 'deleted' ? [] : [{ record, volume }];
    })
    .filter(({ record, volume }) => {
      if (name !== null && record.name !== name) return false;
      if (status !== null && state.status(record, volume) !== status) return false;
      return Object.entries(filters).every(([key, value]) => volume.tags.get(key) === value);
    })
    .sort(
      (a, b) =>
        b.volume.createTime.getTime() - a.volume.createTime.getTime() || (a.record.id < b.record.id ? 1 : -1),
    );
  const marker = query.get('marker');
  let start = 0;
  if (marker !== null) {
    // Cinder looks the marker up among all volumes first: an unknown one is a 404 even with filters.
    lookup(state, marker);
    start = rows.findIndex(({ record }) => record.id === marker) + 1;
  }
  const page = rows.slice(start, start + limit);
  const base = `${request.base}/v3/${token.projectId}`;
  const volumes = page.map(({ record, volume }) =>
    detailed
      ? state.volumeJson(record, volume, request.base, token.projectId)
      : {
          id: record.id,
          name: record.name,
          links: [{ rel: 'self', href: `${base}/volumes/${record.id}` }],
        },
  );
  const last = page.at(-1);
  // As Cinder's _get_collection_links: a full page gets a next link, even when nothing follows it.
  if (last === undefined || page.length !== limit) return { volumes };
  const next = new URLSearchParams(query);
  next.set('limit', String(limit));
  next.set('marker', last.record.id);
  const href = `${base}/volumes${detailed ? '/detail' : ''}?${next.toString()}`;
  return { volumes, volumes_links: [{ rel: 'next', href }] };
}

function metadataFilter(text: string | null): Record<string, string> {
  if (text === null) return {};
  let parsed: unknown;
  try {
    // Cinder evaluates the filter as a Python literal: JSON, or a dict with single quotes.
    parsed = JSON.parse(text.replaceAll("'", '"'));
  } catch {
    throw badRequest(`Invalid filter: metadata ${text}`);
  }
  const object = asObject(parsed);
  if (object === undefined) throw badRequest(`Invalid filter: metadata ${text}`);
  return Object.fromEntries(Object.entries(object).map(([key, value]) => [key, String(value)]));
}

function typeId(name: string): string {
  const hex = Buffer.from(name).toString('hex').padEnd(32, '0').slice(0, 32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
