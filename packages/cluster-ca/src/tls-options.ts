import { Agent, type AgentOptions } from 'node:https';
import { type ConnectionOptions, checkServerIdentity, type PeerCertificate, type TlsOptions } from 'node:tls';
import type { ClusterCredentials } from './credentials.js';
import { CONTROL_SERVICE_NAME } from './identity.js';

/**
 * Options for a TLS (or `node:https`, fastify `https`) server of the cluster: it presents `credentials` and
 * requires every client to present a certificate chained to the cluster CA and valid now; anything else
 * (no certificate, another CA's, an expired one, plain HTTP) fails the handshake. Which kind of client may
 * connect (node or user) is checked on each request with `peerIdentity`.
 */
export function serverTlsOptions(credentials: ClusterCredentials): TlsOptions {
  return {
    ca: credentials.ca,
    cert: credentials.certificate,
    key: credentials.key,
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
  };
}

/**
 * Options for a client of the control service (`tls.connect`, `https.request`, an undici `Agent`'s `connect`):
 * it presents `credentials` and accepts only a server certificate chained to the cluster CA, named
 * `control-service` and carrying this cluster's id, whatever host or address it dialled, as Flocker's clients did.
 */
export function clientTlsOptions(credentials: ClusterCredentials): ConnectionOptions {
  const clusterId = credentials.identity.clusterId;
  return {
    ca: credentials.ca,
    cert: credentials.certificate,
    key: credentials.key,
    servername: CONTROL_SERVICE_NAME,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
    checkServerIdentity: (_host: string, cert: PeerCertificate): Error | undefined => {
      const wrongName = checkServerIdentity(CONTROL_SERVICE_NAME, cert);
      if (wrongName !== undefined) return wrongName;
      if (cert.subject?.OU !== clusterId)
        return new Error(
          `the server's certificate belongs to cluster ${String(cert.subject?.OU)}, not ${clusterId}`,
        );
      return undefined;
    },
  };
}

/**
 * An `https.Agent` whose requests present `credentials` and verify the server as {@link clientTlsOptions} does:
 * `https.request(url, { agent })`. Destroy it when done (`agent.destroy()`), as it keeps connections alive.
 */
export function createClientAgent(credentials: ClusterCredentials, options: AgentOptions = {}): Agent {
  return new Agent({ keepAlive: true, ...options, ...clientTlsOptions(credentials) });
}
