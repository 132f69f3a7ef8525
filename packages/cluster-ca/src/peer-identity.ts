import type { TLSSocket } from 'node:tls';
import { PeerRefusedError } from '@flockerjs/core-interface';
import { type Identity, identityFromSubject, type PeerKind } from './identity.js';

/** Which peers a server accepts. */
export interface PeerPolicy {
  /** This cluster's id (`credentials.identity.clusterId`): a certificate with another OU is refused. */
  readonly clusterId: string;
  /** The kinds accepted: `['user']` on the REST API, `['node']` on the agent port, as in the original. */
  readonly kinds: readonly PeerKind[];
}

/**
 * The identity of the peer of a TLS socket whose handshake verified it against the cluster CA, when `policy`
 * accepts it; otherwise a PEER_REFUSED error saying why (no or unverified certificate, a subject that names
 * nobody, another cluster, a kind not accepted). For a node, the node id comes from here, never from a message.
 * Servers call it on every request (`request.socket`, fastify's `request.raw.socket`) before doing anything.
 */
export function peerIdentity(socket: TLSSocket, policy: PeerPolicy): Identity {
  // A plain TCP socket (a server started without TLS by mistake) has no certificate to show: refused, not a crash.
  if (typeof socket.getPeerCertificate !== 'function')
    throw new PeerRefusedError(undefined, 'not a TLS connection');
  const cert = socket.getPeerCertificate();
  const cn = cert?.subject?.CN;
  const peer = typeof cn === 'string' ? cn : undefined;
  if (cert === null || cert === undefined || Object.keys(cert).length === 0)
    throw new PeerRefusedError(undefined, 'no client certificate');
  if (!socket.authorized)
    throw new PeerRefusedError(peer, `certificate not verified: ${String(socket.authorizationError)}`);
  const identity = identityFromSubject(cert.subject.CN, cert.subject.OU);
  if ('refused' in identity) throw new PeerRefusedError(peer, identity.refused);
  if (identity.clusterId !== policy.clusterId)
    throw new PeerRefusedError(peer, `certificate of cluster ${identity.clusterId}, not ${policy.clusterId}`);
  if (!policy.kinds.includes(identity.kind))
    throw new PeerRefusedError(
      peer,
      `a ${policy.kinds.join(' or ')} certificate is required, not a ${identity.kind} one`,
    );
  return identity;
}
