import { UnknownVolumeError } from '@flockerjs/core-interface';
import { OpenStackCallError } from './openstack-error.js';
import type { OpenStackSession } from './openstack-session.js';

/** Volumes per listing page: Cinder's own maximum (`osapi_max_limit`), so that a listing takes few requests. */
export const LIST_PAGE_SIZE = 1000;
/** Pages one listing may take before it is refused: 100,000 volumes. Guards against a marker loop. */
export const MAX_LIST_PAGES = 100;

export interface CinderAttachment {
  readonly serverId: string;
  /** The device name Nova reported (`/dev/vdb`); often wrong for what the guest sees, so never trusted for I/O. */
  readonly device: string | undefined;
}

/** A volume as the driver needs it. */
export interface CinderVolume {
  readonly id: string;
  readonly name: string | null;
  /** `creating`, `available`, `reserved`, `attaching`, `in-use`, `detaching`, `deleting`, `error`, … */
  readonly status: string;
  readonly sizeGiB: number;
  readonly metadata: Readonly<Record<string, string>>;
  readonly attachments: readonly CinderAttachment[];
}

export interface CreateVolumeRequest {
  readonly name: string;
  readonly sizeGiB: number;
  readonly metadata: Readonly<Record<string, string>>;
  readonly volumeType: string | undefined;
  readonly availabilityZone: string | undefined;
}

export interface ListFilter {
  /** Every key must have this value. */
  readonly metadata: Readonly<Record<string, string>>;
  readonly name?: string;
}

/**
 * Exactly the Cinder v3 calls the driver makes. Rejects with `UNKNOWN_VOLUME` for a volume Cinder does not have,
 * else {@link OpenStackCallError} (`BACKEND`).
 */
export interface CinderClient {
  /** `POST volumes` with metadata in the same request. Not retried after it may have been applied. */
  createVolume(request: CreateVolumeRequest): Promise<CinderVolume>;
  getVolume(volumeId: string): Promise<CinderVolume>;
  /** Every volume matching the filter, paging through `volumes/detail`. */
  listVolumes(filter: ListFilter): Promise<readonly CinderVolume[]>;
  deleteVolume(volumeId: string): Promise<void>;
}

/**
 * The default {@link CinderClient}: pkgcloud for get and delete, our own requests for what pkgcloud cannot do
 * (metadata at creation; `volumes/detail` with `limit`, `marker` and filters).
 */
export class PkgcloudCinderClient implements CinderClient {
  readonly #session: OpenStackSession;
  readonly #pageSize: number;

  /** @param pageSize volumes asked for per listing page. @default {@link LIST_PAGE_SIZE} */
  constructor(session: OpenStackSession, pageSize = LIST_PAGE_SIZE) {
    this.#session = session;
    this.#pageSize = pageSize;
  }

  async createVolume(request: CreateVolumeRequest): Promise<CinderVolume> {
    // https://docs.openstack.org/api-ref/block-storage/v3/#create-a-volume
    const response = await this.#session.request(
      'cinder:create-volume',
      'volume',
      {
        method: 'POST',
        path: '/volumes',
        body: {
          volume: {
            name: request.name,
            size: request.sizeGiB,
            metadata: request.metadata,
            ...(request.volumeType === undefined ? {} : { volume_type: request.volumeType }),
            ...(request.availabilityZone === undefined
              ? {}
              : { availability_zone: request.availabilityZone }),
          },
        },
      },
      false,
    );
    return toVolume((response.body as { volume?: unknown } | undefined)?.volume, 'cinder:create-volume');
  }

  async getVolume(volumeId: string): Promise<CinderVolume> {
    const { blockstorage } = this.#session;
    // pkgcloud's getVolume() builds a Volume model that drops metadata, which says whose volume it is; its
    // request helper (the same auth, endpoint and URL) gives the whole body.
    const body = await this.#unknownOn404(volumeId, () =>
      this.#session.pkgcloud<unknown>('cinder:get-volume', blockstorage, true, (done) =>
        blockstorage._request({ path: `volumes/${encodeURIComponent(volumeId)}` }, done),
      ),
    );
    return toVolume((body as { volume?: unknown } | undefined)?.volume, 'cinder:get-volume');
  }

  async listVolumes(filter: ListFilter): Promise<readonly CinderVolume[]> {
    // https://docs.openstack.org/api-ref/block-storage/v3/#list-accessible-volumes-with-details
    const volumes: CinderVolume[] = [];
    let marker: string | undefined;
    for (let page = 1; page <= MAX_LIST_PAGES; page += 1) {
      const response = await this.#session.request(
        'cinder:list-volumes',
        'volume',
        {
          method: 'GET',
          path: '/volumes/detail',
          query: {
            limit: String(this.#pageSize),
            marker,
            name: filter.name,
            metadata: Object.keys(filter.metadata).length === 0 ? undefined : JSON.stringify(filter.metadata),
          },
        },
        true,
      );
      const body = response.body as {
        volumes?: unknown[];
        volumes_links?: { rel?: string; href?: string }[];
      };
      const items = (body?.volumes ?? []).map((item) => toVolume(item, 'cinder:list-volumes'));
      // Filtered here too: a cloud whose policy ignores the metadata filter must not leak other clusters' volumes.
      volumes.push(...items.filter((volume) => matches(volume, filter)));
      const next = body?.volumes_links?.find((link) => link.rel === 'next');
      const last = items.at(-1);
      if (next === undefined || last === undefined) return volumes;
      marker = last.id;
    }
    throw new OpenStackCallError('cinder:list-volumes', {
      detail: `more than ${MAX_LIST_PAGES} pages of volumes match; refusing to page further`,
    });
  }

  async deleteVolume(volumeId: string): Promise<void> {
    const { blockstorage } = this.#session;
    await this.#unknownOn404(volumeId, () =>
      this.#session.pkgcloud<void>('cinder:delete-volume', blockstorage, true, (done) =>
        blockstorage.deleteVolume(volumeId, done),
      ),
    );
  }

  async #unknownOn404<T>(volumeId: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof OpenStackCallError && error.status === 404) {
        throw new UnknownVolumeError(volumeId, { cause: error });
      }
      throw error;
    }
  }
}

function matches(volume: CinderVolume, filter: ListFilter): boolean {
  if (filter.name !== undefined && volume.name !== filter.name) return false;
  return Object.entries(filter.metadata).every(([key, value]) => volume.metadata[key] === value);
}

/** Cinder's volume JSON, checked. */
export function toVolume(raw: unknown, operation: string): CinderVolume {
  const volume = raw as Record<string, unknown> | undefined;
  if (
    typeof volume?.id !== 'string' ||
    typeof volume.status !== 'string' ||
    typeof volume.size !== 'number'
  ) {
    throw new OpenStackCallError(operation, { detail: 'Cinder answered without a volume' });
  }
  const metadata = (
    typeof volume.metadata === 'object' && volume.metadata !== null ? volume.metadata : {}
  ) as Record<string, unknown>;
  const attachments = Array.isArray(volume.attachments)
    ? (volume.attachments as Record<string, unknown>[])
    : [];
  return {
    id: volume.id,
    name: typeof volume.name === 'string' ? volume.name : null,
    status: volume.status,
    sizeGiB: volume.size,
    metadata: Object.fromEntries(Object.entries(metadata).map(([key, value]) => [key, String(value)])),
    attachments: attachments.flatMap((attachment) =>
      typeof attachment.server_id === 'string'
        ? [
            {
              serverId: attachment.server_id,
              device: typeof attachment.device === 'string' ? attachment.device : undefined,
            },
          ]
        : [],
    ),
  };
}
