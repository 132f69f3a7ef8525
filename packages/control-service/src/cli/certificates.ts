import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { identifyByCommonName, type ServerSecurity } from '../peer-identity.js';

/**
 * The control service's TLS settings from a certificates directory laid out as the original's: `cluster.crt`
 * (the cluster CA, whose OU is the cluster id), `control-service.crt` and `control-service.key`. Clients must
 * present a certificate signed by the cluster CA.
 */
export async function loadServerSecurity(directory: string): Promise<ServerSecurity & { clusterId: string }> {
  const read = async (name: string): Promise<Buffer> => {
    try {
      return await readFile(join(directory, name));
    } catch (error) {
      throw new Error(
        `${join(directory, name)}: ${(error as Error).message}. Make the certificates with flocker-ca, or run ` +
          'with --insecure-development-mode on a development machine',
        { cause: error },
      );
    }
  };
  const [ca, cert, key] = await Promise.all([
    read('cluster.crt'),
    read('control-service.crt'),
    read('control-service.key'),
  ]);
  const ou = /^OU=(.+)$/m.exec(new X509Certificate(ca).subject)?.[1];
  if (ou === undefined)
    throw new Error(`${join(directory, 'cluster.crt')}: its subject has no OU (cluster id)`);
  return {
    clusterId: ou.toLowerCase(),
    tls: { ca, cert, key, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' },
    identify: identifyByCommonName,
  };
}
