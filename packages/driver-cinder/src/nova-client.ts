import type { VolumeAttachment } from 'pkgcloud';
import { OpenStackCallError } from './openstack-error.js';
import type { OpenStackSession } from './openstack-session.js';

/** Servers per listing page: Nova's default `max_limit`. */
export const SERVER_PAGE_SIZE = 1000;
/** Pages one server listing may take: 100,000 servers. */
export const MAX_SERVER_PAGES = 100;

export interface NovaServer {
  readonly id: string;
  /** `ACTIVE`, `SHUTOFF`, `BUILD`, `ERROR`, … */
  readonly status: string;
  /** Every fixed and floating address Nova reports, over all networks. */
  readonly addresses: readonly string[];
}

/** Exactly the Nova v2.1 calls the driver makes. Rejects with {@link OpenStackCallError} (`BACKEND`). */
export interface NovaClient {
  /** `POST servers/{id}/os-volume_attachments`; Nova picks the device. Not retried after it may have applied. */
  attachVolume(serverId: string, volumeId: string): Promise<void>;
  /** `DELETE servers/{id}/os-volume_attachments/{volumeId}`; 404 when not attached there. */
  detachVolume(serverId: string, volumeId: string): Promise<void>;
  /** The project's servers whose status is `ACTIVE`, every page. */
  listActiveServers(): Promise<readonly NovaServer[]>;
  /** One server, or `undefined` when Nova has none with that id. */
  getServer(serverId: string): Promise<NovaServer | undefined>;
}

/** The default {@link NovaClient}: pkgcloud for attach and detach, our own paged request for server listings. */
export class PkgcloudNovaClient implements NovaClient {
  readonly #session: OpenStackSession;

  constructor(session: OpenStackSession) {
    this.#session = session;
  }

  async attachVolume(serverId: string, volumeId: string): Promise<void> {
    const { compute } = this.#session;
    await this.#session.pkgcloud<VolumeAttachment>('nova:attach-volume', compute, false, (done) =>
      compute.attachVolume(serverId, volumeId, done),
    );
  }

  async detachVolume(serverId: string, volumeId: string): Promise<void> {
    const { compute } = this.#session;
    await this.#session.pkgcloud<void>('nova:detach-volume', compute, true, (done) =>
      compute.detachVolume(serverId, volumeId, done),
    );
  }

  async listActiveServers(): Promise<readonly NovaServer[]> {
    // https://docs.openstack.org/api-ref/compute/#list-servers-detailed
    const servers: NovaServer[] = [];
    let marker: string | undefined;
    for (let page = 1; page <= MAX_SERVER_PAGES; page += 1) {
      const response = await this.#session.request(
        'nova:list-servers',
        'compute',
        {
          method: 'GET',
          path: '/servers/detail',
          query: { status: 'ACTIVE', limit: String(SERVER_PAGE_SIZE), marker },
        },
        true,
      );
      const body = response.body as { servers?: unknown[]; servers_links?: { rel?: string }[] } | undefined;
      const items = (body?.servers ?? []).map(toServer);
      servers.push(...items.filter((server) => server.status === 'ACTIVE'));
      const last = items.at(-1);
      if (last === undefined || body?.servers_links?.some((link) => link.rel === 'next') !== true)
        return servers;
      marker = last.id;
    }
    throw new OpenStackCallError('nova:list-servers', {
      detail: `more than ${MAX_SERVER_PAGES} pages of servers`,
    });
  }

  async getServer(serverId: string): Promise<NovaServer | undefined> {
    try {
      const response = await this.#session.request(
        'nova:get-server',
        'compute',
        { method: 'GET', path: `/servers/${encodeURIComponent(serverId)}` },
        true,
      );
      return toServer((response.body as { server?: unknown } | undefined)?.server);
    } catch (error) {
      if (error instanceof OpenStackCallError && error.status === 404) return undefined;
      throw error;
    }
  }
}

function toServer(raw: unknown): NovaServer {
  const server = raw as { id?: unknown; status?: unknown; addresses?: unknown } | undefined;
  if (typeof server?.id !== 'string') {
    throw new OpenStackCallError('nova:list-servers', { detail: 'Nova answered without a server id' });
  }
  const networks = (
    typeof server.addresses === 'object' && server.addresses !== null ? server.addresses : {}
  ) as Record<string, unknown>;
  const addresses = Object.values(networks).flatMap((entries) =>
    Array.isArray(entries)
      ? entries.flatMap((entry) => (typeof entry?.addr === 'string' ? [entry.addr as string] : []))
      : [],
  );
  return { id: server.id, status: typeof server.status === 'string' ? server.status : 'UNKNOWN', addresses };
}
