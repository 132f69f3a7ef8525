import {
  AlreadyAttachedError,
  UnattachedVolumeError,
  UnknownInstanceIdError,
  UnknownVolumeError,
} from '@flockerjs/core-interface';
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

/**
 * Exactly the Nova v2.1 calls the driver makes. Nova's refusals come back as our codes (below); any other
 * failure is {@link OpenStackCallError} (`BACKEND`).
 */
export interface NovaClient {
  /**
   * `POST servers/{id}/os-volume_attachments`; Nova picks the device. Not retried after it may have applied.
   * `ALREADY_ATTACHED` when Nova says the volume is attached; `UNKNOWN_VOLUME` when it knows no such volume.
   */
  attachVolume(serverId: string, volumeId: string): Promise<void>;
  /** `DELETE servers/{id}/os-volume_attachments/{volumeId}`; `UNATTACHED` when it is not attached there. */
  detachVolume(serverId: string, volumeId: string): Promise<void>;
  /**
   * `POST servers/{id}/action` `os-start`; a server that is already running (Nova's 409) is left as it is.
   * `UNKNOWN_INSTANCE_ID` when Nova has no such server.
   */
  startServer(serverId: string): Promise<void>;
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
    try {
      await this.#session.pkgcloud<VolumeAttachment>('nova:attach-volume', compute, false, (done) =>
        compute.attachVolume(serverId, volumeId, done),
      );
    } catch (error) {
      // https://docs.openstack.org/api-ref/compute/#attach-a-volume-to-an-instance: 400 for a volume Cinder
      // will not reserve (attached, or in another state), 404 for an unknown volume or server.
      if (
        error instanceof OpenStackCallError &&
        error.status === 400 &&
        /already attached/.test(error.detail)
      ) {
        throw new AlreadyAttachedError(volumeId, null);
      }
      if (error instanceof OpenStackCallError && error.status === 404 && /^Volume /.test(error.detail)) {
        throw new UnknownVolumeError(volumeId, { cause: error });
      }
      throw error;
    }
  }

  async detachVolume(serverId: string, volumeId: string): Promise<void> {
    const { compute } = this.#session;
    try {
      await this.#session.pkgcloud<void>('nova:detach-volume', compute, true, (done) =>
        compute.detachVolume(serverId, volumeId, done),
      );
    } catch (error) {
      if (error instanceof OpenStackCallError && error.status === 404) {
        if (error.afterApplied) return; // our own first try went through; its answer was lost
        throw new UnattachedVolumeError(volumeId, `is not attached to server ${serverId} (${error.detail})`);
      }
      // Our own first try went through and the volume is detaching: Nova refuses a second detach until it is done.
      if (
        error instanceof OpenStackCallError &&
        error.afterApplied &&
        error.status === 400 &&
        /Unable to detach volume/.test(error.detail)
      ) {
        return;
      }
      throw error;
    }
  }

  async startServer(serverId: string): Promise<void> {
    // https://docs.openstack.org/api-ref/compute/#start-server-os-start-action
    try {
      await this.#session.request(
        'nova:start-server',
        'compute',
        {
          method: 'POST',
          path: `/servers/${encodeURIComponent(serverId)}/action`,
          body: { 'os-start': null },
        },
        true,
      );
    } catch (error) {
      if (error instanceof OpenStackCallError && error.status === 409) return; // running, or on its way
      if (error instanceof OpenStackCallError && error.status === 404) {
        throw new UnknownInstanceIdError(`Nova has no server ${serverId}`, { cause: error });
      }
      throw error;
    }
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
