import type { ServerOptions } from 'node:https';
import type { PeerCertificate } from 'node:tls';

/** Who is at the other end of a TLS connection, as its certificate (verified against the cluster CA) says. */
export type PeerIdentity =
  | { readonly kind: 'node'; readonly nodeUuid: string }
  | { readonly kind: 'user'; readonly name: string };

/**
 * How the server authenticates its clients: TLS options that require a client certificate signed by the
 * cluster CA (`requestCert` and `rejectUnauthorized`), and how to read the identity in such a certificate.
 */
export interface ServerSecurity {
  readonly tls: ServerOptions;
  /** The identity a verified certificate carries, or undefined when it carries none this service accepts. */
  readonly identify: (certificate: PeerCertificate) => PeerIdentity | undefined;
}

const NODE_CN = /^node-([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})$/i;

/** Flocker's naming: subject CN `node-<uuid>` for an agent, `user-<name>` for an API user. */
export function identifyByCommonName(certificate: PeerCertificate): PeerIdentity | undefined {
  const cn = certificate.subject?.CN;
  const name = Array.isArray(cn) ? undefined : cn;
  if (name === undefined) return undefined;
  const node = NODE_CN.exec(name);
  if (node?.[1] !== undefined) return { kind: 'node', nodeUuid: node[1].toLowerCase() };
  if (name.startsWith('user-') && name.length > 'user-'.length) {
    return { kind: 'user', name: name.slice('user-'.length) };
  }
  return undefined;
}
