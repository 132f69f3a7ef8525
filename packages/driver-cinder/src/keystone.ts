import type { CinderConfig } from './config.js';
import type { HttpSend, TlsOptions } from './http.js';
import { OpenStackCallError } from './openstack-error.js';

/** Renew a token this long before Keystone says it expires, so that no call carries a dying one. */
export const TOKEN_RENEW_MARGIN_MS = 60_000;
/** Service types that name Cinder v3, most specific first; pkgcloud only knows the legacy `volume`. */
export const VOLUME_SERVICE_TYPES = ['volumev3', 'block-storage', 'volume'] as const;

interface CatalogEndpoint {
  readonly interface?: string;
  readonly region?: string;
  readonly region_id?: string;
  readonly url?: string;
}
export interface CatalogService {
  readonly type?: string;
  readonly endpoints?: readonly CatalogEndpoint[];
}

export interface AuthToken {
  readonly id: string;
  readonly expiresAt: Date;
  readonly projectId: string;
  readonly catalog: readonly CatalogService[];
}

/**
 * Our Keystone v3 client: password or application-credential authentication, with the request timeout and TLS
 * settings of every other call (pkgcloud's own has no timeout, no CA option and no application credentials).
 * One token is shared by every client of a driver and renewed before it expires or when a service refuses it.
 */
export class KeystoneAuth {
  readonly #config: CinderConfig;
  readonly #send: HttpSend;
  readonly #tls: TlsOptions;
  readonly #now: () => number;
  #token: AuthToken | undefined;
  #pending: Promise<AuthToken> | undefined;

  constructor(config: CinderConfig, send: HttpSend, tls: TlsOptions, now: () => number) {
    this.#config = config;
    this.#send = send;
    this.#tls = tls;
    this.#now = now;
  }

  /** Keystone's base URL without the version, as pkgcloud wants it. */
  static baseUrl(authUrl: string): string {
    return authUrl.replace(/\/+$/, '').replace(/\/v3$/, '');
  }

  /** A valid token, from the cache or a new authentication. */
  async token(): Promise<AuthToken> {
    const cached = this.#token;
    if (cached !== undefined && cached.expiresAt.getTime() - this.#now() > TOKEN_RENEW_MARGIN_MS)
      return cached;
    this.#pending ??= this.#authenticate().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  /** Forgets `tokenId` (a service answered 401 to it), so that the next call authenticates again. */
  invalidate(tokenId: string): void {
    if (this.#token?.id === tokenId) this.#token = undefined;
  }

  async #authenticate(): Promise<AuthToken> {
    const url = `${KeystoneAuth.baseUrl(this.#config.auth_url)}/v3/auth/tokens`;
    const response = await this.#send({
      method: 'POST',
      url,
      body: this.#payload(),
      timeoutMs: this.#config.timeouts.request_ms,
      tls: this.#tls,
    });
    // The body of a refusal is Keystone's message only; the request (with the secret) is never quoted.
    if (response.status !== 201 && response.status !== 200)
      throw OpenStackCallError.from('authenticate', response);
    const subject = response.headers['x-subject-token'];
    const token = (response.body as { token?: Record<string, unknown> } | undefined)?.token;
    const project = token?.project as { id?: unknown } | undefined;
    if (
      typeof subject !== 'string' ||
      typeof project?.id !== 'string' ||
      typeof token?.expires_at !== 'string'
    ) {
      throw new OpenStackCallError('authenticate', {
        status: response.status,
        detail: 'Keystone sent no project-scoped token',
      });
    }
    this.#token = {
      id: subject,
      expiresAt: new Date(token.expires_at),
      projectId: project.id,
      catalog: Array.isArray(token.catalog) ? (token.catalog as CatalogService[]) : [],
    };
    return this.#token;
  }

  #payload(): unknown {
    const config = this.#config;
    if (config.application_credential_id !== undefined) {
      return {
        auth: {
          identity: {
            methods: ['application_credential'],
            application_credential: {
              id: config.application_credential_id,
              secret: config.application_credential_secret,
            },
          },
        },
      };
    }
    // The same body pkgcloud's Keystone v3 client builds for a password, with both domains by id or name.
    const userDomain =
      config.user_domain_id !== undefined ? { id: config.user_domain_id } : { name: config.user_domain_name };
    const projectDomain =
      config.project_domain_id !== undefined
        ? { id: config.project_domain_id }
        : { name: config.project_domain_name };
    return {
      auth: {
        identity: {
          methods: ['password'],
          password: {
            // A user id is unique across domains; a name needs its domain.
            user:
              config.user_id !== undefined
                ? { id: config.user_id, password: config.password }
                : { name: config.username, password: config.password, domain: userDomain },
          },
        },
        scope: {
          project:
            config.project_id !== undefined
              ? { id: config.project_id }
              : { name: config.project_name, domain: projectDomain },
        },
      },
    };
  }
}

/**
 * The URL of a service's endpoint in a v3 catalog: the first service of one of `types` (in that order) with an
 * endpoint in `region` on `face`, as pkgcloud's catalog lookup matches them.
 * @throws when the catalog has none
 */
export function endpointUrl(
  catalog: readonly CatalogService[],
  types: readonly string[],
  region: string,
  face: string,
): string {
  for (const type of types) {
    for (const service of catalog.filter((entry) => entry.type === type)) {
      const endpoint = service.endpoints?.find(
        (candidate) =>
          candidate.interface === face &&
          (candidate.region ?? candidate.region_id ?? '').toLowerCase() === region.toLowerCase(),
      );
      if (endpoint?.url !== undefined) return endpoint.url.replace(/\/+$/, '');
    }
  }
  throw new OpenStackCallError('catalog', {
    detail: `no ${types.join(' or ')} endpoint on the ${face} interface in region ${region}`,
  });
}
