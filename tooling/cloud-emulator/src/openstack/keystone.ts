import { randomBytes, randomUUID } from 'node:crypto';
import { asObject, OpenStackError, unauthorized } from './http.js';

/** Tokens live an hour unless told otherwise, as Keystone's default `[token] expiration = 3600`. */
export const DEFAULT_TOKEN_TTL_MS = 3_600_000;

export interface KeystoneUser {
  readonly name: string;
  readonly password: string;
  /** @default 'Default' */
  readonly domain?: string;
  /** @default a new random id */
  readonly id?: string;
}

export interface ApplicationCredential {
  readonly id: string;
  readonly secret: string;
  /** The user it belongs to. */
  readonly user: string;
}

export interface Token {
  readonly id: string;
  readonly userId: string;
  readonly userName: string;
  readonly projectId: string;
  readonly expiresAt: number;
  readonly methods: readonly string[];
}

export interface CatalogEntry {
  readonly type: string;
  readonly name: string;
  readonly url: string;
}

interface Identity {
  readonly userId: string;
  readonly userName: string;
  readonly methods: readonly string[];
  /** Set when the credential fixes the project (application credentials, token rescoping). */
  readonly projectId?: string;
}

/**
 * Keystone v3, the parts a driver uses: `POST /v3/auth/tokens` with password, application credential or
 * token methods, a project scope, the token in `X-Subject-Token`, and a catalog. One project, `demo`, in
 * domain `Default`. Tokens can be revoked at once to stand in for expiry in the middle of a run.
 */
export class Keystone {
  readonly projectId: string = randomUUID().replaceAll('-', '');
  readonly projectName = 'demo';
  readonly domainId = 'default';
  readonly domainName = 'Default';
  readonly region: string;
  tokenTtlMs: number;
  readonly #users: Map<string, KeystoneUser & { readonly id: string }>;
  readonly #appCredentials: Map<string, ApplicationCredential>;
  readonly #tokens = new Map<string, Token>();
  readonly #catalog: () => readonly CatalogEntry[];
  readonly #authUrl: () => string;

  constructor(options: {
    region: string;
    users: readonly KeystoneUser[];
    applicationCredentials: readonly ApplicationCredential[];
    tokenTtlMs: number;
    catalog: () => readonly CatalogEntry[];
    authUrl: () => string;
  }) {
    this.region = options.region;
    this.tokenTtlMs = options.tokenTtlMs;
    this.#users = new Map(
      options.users.map((user) => [user.name, { ...user, id: user.id ?? randomUUID().replaceAll('-', '') }]),
    );
    this.#appCredentials = new Map(
      options.applicationCredentials.map((credential) => [credential.id, credential]),
    );
    this.#catalog = options.catalog;
    this.#authUrl = options.authUrl;
  }

  /** Makes every token issued so far invalid, as expiry or revocation would. */
  revokeAll(): void {
    this.#tokens.clear();
  }

  /** The token behind an `X-Auth-Token` header. @throws a 401 as keystonemiddleware answers */
  validate(header: string | string[] | undefined): Token {
    const token = typeof header === 'string' ? this.#tokens.get(header) : undefined;
    if (token === undefined || token.expiresAt <= Date.now()) throw unauthorized(this.#authUrl());
    return token;
  }

  /** `POST /v3/auth/tokens`: the new token and the body Keystone returns with it. */
  issue(body: unknown): { token: Token; body: unknown } {
    const auth = asObject(asObject(body)?.auth);
    const identity = asObject(auth?.identity);
    const methods = identity?.methods;
    if (auth === undefined || identity === undefined || !Array.isArray(methods) || methods.length === 0) {
      throw new OpenStackError(
        400,
        'error',
        "Invalid input for field 'identity': 'methods' is a required property",
      );
    }
    const who = this.#authenticate(methods[0], identity);
    const projectId = who.projectId ?? this.#scope(asObject(auth.scope));
    const now = Date.now();
    const token: Token = {
      id: `gAAAAA${randomBytes(48).toString('base64url')}`,
      userId: who.userId,
      userName: who.userName,
      projectId,
      expiresAt: now + this.tokenTtlMs,
      methods: who.methods,
    };
    this.#tokens.set(token.id, token);
    return { token, body: this.#tokenBody(token, now) };
  }

  // --- internals ---

  #authenticate(method: unknown, identity: Record<string, unknown>): Identity {
    if (method === 'password') {
      const user = asObject(asObject(identity.password)?.user);
      const domain = asObject(user?.domain);
      // By name within a domain, or by id (unique across domains, so no domain is given).
      const known =
        typeof user?.name === 'string'
          ? this.#users.get(user.name)
          : [...this.#users.values()].find((candidate) => candidate.id === user?.id);
      const domainOk =
        domain === undefined ||
        domain.id === this.domainId ||
        domain.name === (known?.domain ?? this.domainName);
      if (known === undefined || !domainOk || user?.password !== known.password) throw this.#denied();
      return { userId: known.id, userName: known.name, methods: ['password'] };
    }
    if (method === 'application_credential') {
      const credential = asObject(identity.application_credential);
      const known = typeof credential?.id === 'string' ? this.#appCredentials.get(credential.id) : undefined;
      const user = known === undefined ? undefined : this.#users.get(known.user);
      if (known === undefined || user === undefined || credential?.secret !== known.secret)
        throw this.#denied();
      return {
        userId: user.id,
        userName: user.name,
        methods: ['application_credential'],
        projectId: this.projectId,
      };
    }
    if (method === 'token') {
      const previous = this.validate(asObject(identity.token)?.id as string | undefined);
      return { userId: previous.userId, userName: previous.userName, methods: ['token'] };
    }
    throw this.#denied();
  }

  #scope(scope: Record<string, unknown> | undefined): string {
    const project = asObject(scope?.project);
    if (project === undefined) {
      // Unscoped tokens carry no catalog; a driver cannot use one, so the emulator does not issue them.
      throw new OpenStackError(401, 'error', 'The request you have made requires authentication.');
    }
    const domain = asObject(project.domain);
    const byId = project.id === this.projectId;
    const byName =
      project.name === this.projectName &&
      (domain === undefined || domain.id === this.domainId || domain.name === this.domainName);
    if (!byId && !byName) throw this.#denied();
    return this.projectId;
  }

  #denied(): OpenStackError {
    return new OpenStackError(401, 'error', 'The request you have made requires authentication.');
  }

  #tokenBody(token: Token, now: number): unknown {
    return {
      token: {
        methods: token.methods,
        user: {
          domain: { id: this.domainId, name: this.domainName },
          id: token.userId,
          name: token.userName,
        },
        audit_ids: [randomBytes(16).toString('base64url').slice(0, 22)],
        expires_at: new Date(token.expiresAt).toISOString().replace('Z', '000Z'),
        issued_at: new Date(now).toISOString().replace('Z', '000Z'),
        project: {
          domain: { id: this.domainId, name: this.domainName },
          id: token.projectId,
          name: this.projectName,
        },
        is_domain: false,
        roles: [{ id: randomUUID().replaceAll('-', ''), name: 'member' }],
        catalog: this.#catalog().map((entry) => ({
          endpoints: ['public', 'internal', 'admin'].map((face) => ({
            id: randomUUID().replaceAll('-', ''),
            interface: face,
            region_id: this.region,
            url: entry.url.replace('%(project_id)s', token.projectId),
            region: this.region,
          })),
          id: randomUUID().replaceAll('-', ''),
          type: entry.type,
          name: entry.name,
        })),
      },
    };
  }
}
