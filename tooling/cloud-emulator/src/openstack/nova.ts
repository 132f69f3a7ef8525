import { FabricError } from '../fabric/fabric-error.js';
import { volumeNotFound } from './cinder.js';
import { asObject, badRequest, conflict, notFound } from './http.js';
import type { Token } from './keystone.js';
import type { NovaServer, OpenStackState } from './state.js';

/** Device letters Nova hands out on a virtio bus (`vda` is the root disk). */
const LETTERS = 'bcdefghijklmnopqrstuvwxyz';

export interface NovaRequest {
  readonly method: string;
  /** Path after `/v2.1`, e.g. `/servers/detail`. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: unknown;
  readonly token: Token;
  /** `http://host:port/compute`, for links. */
  readonly base: string;
}

export function novaOperation(method: string, path: string): string | undefined {
  if ((path === '/servers' || path === '/servers/detail') && method === 'GET') return 'nova:ListServers';
  if (/^\/servers\/[^/]+$/.test(path) && method === 'GET') return 'nova:GetServer';
  if (/^\/servers\/[^/]+\/os-volume_attachments$/.test(path)) {
    return method === 'POST' ? 'nova:AttachVolume' : 'nova:ListVolumeAttachments';
  }
  if (/^\/servers\/[^/]+\/os-volume_attachments\/[^/]+$/.test(path) && method === 'DELETE')
    return 'nova:DetachVolume';
  if (/^\/servers\/[^/]+\/action$/.test(path) && method === 'POST') return 'nova:ServerAction';
  return undefined;
}

/** Nova v2.1: one call, applied to the state. Detaching is async: it unplugs the guest's device first. */
export async function handleNova(
  state: OpenStackState,
  request: NovaRequest,
): Promise<{ status: number; body?: unknown }> {
  const { method, path } = request;
  if (path === '/servers/detail' && method === 'GET')
    return { status: 200, body: listServers(state, request, true) };
  if (path === '/servers' && method === 'GET')
    return { status: 200, body: listServers(state, request, false) };
  const parts = path.split('/').filter(Boolean);
  const server = state.servers.get(parts[1] ?? '');
  const instance = server === undefined ? undefined : state.fabric.instance(server.id);
  if (server === undefined || instance === undefined)
    throw notFound(`Instance ${parts[1]} could not be found.`);
  if (parts.length === 2) return { status: 200, body: { server: serverJson(state, server, request, true) } };
  if (parts[2] !== 'os-volume_attachments' && parts[2] !== 'action') {
    throw notFound('The resource could not be found.');
  }
  if (parts.length === 3 && method === 'GET') {
    const volumeAttachments = [...server.letters].map(([volumeId, letter]) =>
      attachmentJson(server, volumeId, letter),
    );
    return { status: 200, body: { volumeAttachments } };
  }
  if (parts.length === 3 && parts[2] === 'action' && method === 'POST') {
    return serverAction(state, server, request.body);
  }
  if (parts.length === 3 && method === 'POST') return attach(state, server, request.body);
  if (parts.length === 4 && method === 'DELETE') {
    const volumeId = parts[3] ?? '';
    const record = state.volumes.get(volumeId);
    const volume = record === undefined ? undefined : state.fabricVolume(record);
    const attachment = volume?.attachment;
    if (record === undefined || volume === undefined || attachment?.instanceId !== server.id) {
      throw notFound(`Instance ${server.id} is not attached to volume ${volumeId}`);
    }
    if (attachment.state === 'detaching') {
      throw badRequest(
        "Invalid volume: Invalid input received: Invalid volume: Unable to detach volume. Volume status must be 'in-use' and attach_status must be 'attached' to detach.",
      );
    }
    // A guest that holds the disk (busy) refuses again: Nova accepts and rolls back, still `in-use`.
    if (attachment.state === 'busy') return { status: 202 };
    const detaching = state.fabric.detachVolume(volume.id, { instanceId: server.id });
    // The guest loses the disk first; the fabric releases the loop device after its detach time.
    if (detaching.state === 'detaching') {
      await server.devices.unplug(attachment);
      server.letters.delete(volumeId);
    }
    return { status: 202 };
  }
  throw notFound('The resource could not be found.');
}

// --- internals ---

/** `os-start` and `os-stop`: 202, or 409 when the server is not in the state the action starts from. */
function serverAction(state: OpenStackState, server: NovaServer, body: unknown): { status: number } {
  const action = asObject(body);
  const instance = state.fabric.instance(server.id);
  const vmState = instance?.state === 'running' ? 'active' : 'stopped';
  if (action !== undefined && 'os-start' in action) {
    if (instance?.state !== 'stopped')
      throw conflict(`Cannot 'start' instance ${server.id} while it is in vm_state ${vmState}`);
    state.fabric.startInstance(server.id);
    return { status: 202 };
  }
  if (action !== undefined && 'os-stop' in action) {
    if (instance?.state !== 'running')
      throw conflict(`Cannot 'stop' instance ${server.id} while it is in vm_state ${vmState}`);
    state.fabric.stopInstance(server.id);
    return { status: 202 };
  }
  throw badRequest('There is no such action');
}

function attach(state: OpenStackState, server: NovaServer, body: unknown): { status: number; body: unknown } {
  const spec = asObject(asObject(body)?.volumeAttachment);
  const volumeId = spec?.volumeId;
  if (typeof volumeId !== 'string') {
    throw badRequest(
      "Invalid input for field/attribute volumeAttachment. Value: None. 'volumeId' is a required property",
    );
  }
  const instance = state.fabric.instance(server.id);
  if (instance?.state !== 'running') {
    throw conflict(`Cannot 'attach_volume' instance ${server.id} while it is in vm_state stopped`);
  }
  const record = state.volumes.get(volumeId);
  const volume = record === undefined ? undefined : state.fabricVolume(record);
  if (record === undefined || volume === undefined) throw volumeNotFound(volumeId);
  if (volume.attachment !== undefined) {
    throw badRequest(
      `Invalid volume: volume ${volumeId} is already attached to instances: ${volume.attachment.instanceId}`,
    );
  }
  const status = state.status(record, volume);
  if (status !== 'available') {
    throw badRequest(
      `Invalid volume: Volume ${volumeId} status must be available or downloading to reserve, but the current status is ${status}.`,
    );
  }
  const used = new Set(server.letters.values());
  const letter = [...LETTERS].find((candidate) => !used.has(candidate));
  if (letter === undefined) throw badRequest('No free disk device names for prefix vd');
  try {
    state.fabric.attachVolume(volume.id, server.id, `/dev/xvd${letter}`);
  } catch (error) {
    if (error instanceof FabricError) throw badRequest(`Invalid volume: ${error.message}`);
    throw error;
  }
  server.letters.set(volumeId, letter);
  return { status: 200, body: { volumeAttachment: attachmentJson(server, volumeId, letter) } };
}

function attachmentJson(server: NovaServer, volumeId: string, letter: string): Record<string, unknown> {
  return { id: volumeId, serverId: server.id, volumeId, device: server.devices.deviceName(letter) };
}

function listServers(state: OpenStackState, request: NovaRequest, detailed: boolean): unknown {
  const { query } = request;
  const limitText = query.get('limit');
  let limit = state.pageLimit;
  if (limitText !== null) {
    if (!/^\d+$/.test(limitText))
      throw badRequest(`Invalid input for query parameters limit. Value: ${limitText}.`);
    limit = Math.min(Number(limitText), state.pageLimit);
  }
  const status = query.get('status');
  const rows = [...state.servers.values()]
    .filter((server) => status === null || serverStatus(state, server) === status.toUpperCase())
    .sort((a, b) => b.created.getTime() - a.created.getTime() || (a.id < b.id ? 1 : -1));
  const marker = query.get('marker');
  let start = 0;
  if (marker !== null) {
    start = rows.findIndex((server) => server.id === marker) + 1;
    if (start === 0) throw badRequest(`marker [${marker}] not found`);
  }
  const page = rows.slice(start, start + limit);
  const servers = page.map((server) => serverJson(state, server, request, detailed));
  const last = page.at(-1);
  if (last === undefined || page.length !== limit) return { servers };
  const next = new URLSearchParams(query);
  next.set('limit', String(limit));
  next.set('marker', last.id);
  const href = `${request.base}/v2.1/servers${detailed ? '/detail' : ''}?${next.toString()}`;
  return { servers, servers_links: [{ rel: 'next', href }] };
}

function serverStatus(state: OpenStackState, server: NovaServer): string {
  return state.fabric.instance(server.id)?.state === 'running' ? 'ACTIVE' : 'SHUTOFF';
}

function serverJson(
  state: OpenStackState,
  server: NovaServer,
  request: NovaRequest,
  detailed: boolean,
): Record<string, unknown> {
  const links = [{ rel: 'self', href: `${request.base}/v2.1/servers/${server.id}` }];
  if (!detailed) return { id: server.id, name: server.name, links };
  const instance = state.fabric.instance(server.id);
  return {
    id: server.id,
    name: server.name,
    status: serverStatus(state, server),
    tenant_id: request.token.projectId,
    user_id: request.token.userId,
    metadata: {},
    addresses:
      server.addresses.length === 0
        ? {}
        : {
            private: server.addresses.map((addr) => ({
              addr,
              version: addr.includes(':') ? 6 : 4,
              'OS-EXT-IPS:type': 'fixed',
            })),
          },
    created: server.created.toISOString().replace(/\.\d+Z$/, 'Z'),
    links,
    'OS-EXT-AZ:availability_zone': instance?.zone,
    'os-extended-volumes:volumes_attached': [...server.letters.keys()].map((id) => ({ id })),
  };
}
