import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { CertificateError } from '@flockerjs/core-interface';
import { AUTHORITY_FILES, readCertificateFile } from './files.js';
import { CONTROL_SERVICE_NAME, checkUserName, type Identity, identityFromSubject } from './identity.js';

/** Whose credentials to load from a certificates directory. */
export type CredentialRole =
  | { readonly kind: 'control' }
  | { readonly kind: 'node' }
  | { readonly kind: 'user'; readonly userName: string };

/** A party's TLS material, checked, with the identity its certificate carries. */
export interface ClusterCredentials {
  /** PEM of the cluster CA certificate (`cluster.crt`): the only trust root. */
  readonly ca: string;
  /** PEM of this party's certificate. */
  readonly certificate: string;
  /** PEM of this party's private key. */
  readonly key: string;
  /** Who the certificate identifies; `identity.clusterId` is this cluster's id. */
  readonly identity: Identity;
}

/**
 * The file names of a role's credentials inside its certificates directory, as the original laid them out in
 * `/etc/flocker`: the control service's `control-service.crt/.key`, a node's `node.crt/.key` (beside
 * agent.yml), a user's `<user>.crt/.key`; and `cluster.crt` for all.
 */
export function credentialFileNames(role: CredentialRole): {
  readonly ca: string;
  readonly certificate: string;
  readonly key: string;
} {
  const base = role.kind === 'control' ? CONTROL_SERVICE_NAME : role.kind === 'node' ? 'node' : role.userName;
  return { ca: AUTHORITY_FILES.certificate, certificate: `${base}.crt`, key: `${base}.key` };
}

/**
 * Reads and checks a role's credentials from `dir`: every file present, readable and PEM; the certificate
 * signed by `cluster.crt`, currently valid, of the role's kind, with the CA's cluster id; the key its own.
 * Each failure is a CERTIFICATE error naming the file at fault.
 */
export async function loadCredentials(
  dir: string,
  role: CredentialRole,
  now: Date = new Date(),
): Promise<ClusterCredentials> {
  if (role.kind === 'user') checkUserName(role.userName);
  const names = credentialFileNames(role);
  // One file at a time, so that the error names the first missing file, always the same one.
  const ca = await readCertificateFile(dir, names.ca);
  const certificate = await readCertificateFile(dir, names.certificate);
  const key = await readCertificateFile(dir, names.key);
  const paths = {
    ca: join(dir, names.ca),
    certificate: join(dir, names.certificate),
    key: join(dir, names.key),
  };
  const caCert = parseCertificate(paths.ca, ca);
  const ownCert = parseCertificate(paths.certificate, certificate);
  const privateKey = parseKey(paths.key, key);

  const clusterId = subjectField(caCert, 'OU');
  if (!caCert.ca || clusterId === undefined)
    throw new CertificateError(
      paths.ca,
      'is not a cluster CA certificate (CA:TRUE with the cluster id as OU)',
    );
  if (!ownCert.checkIssued(caCert) || !ownCert.verify(caCert.publicKey))
    throw new CertificateError(paths.certificate, `is not signed by the cluster CA in ${paths.ca}`);
  checkValidNow(paths.ca, caCert, now);
  checkValidNow(paths.certificate, ownCert, now);
  if (!ownCert.checkPrivateKey(privateKey))
    throw new CertificateError(paths.key, `is not the private key of ${paths.certificate}`);
  const identity = identityFromSubject(subjectField(ownCert, 'CN'), subjectField(ownCert, 'OU'));
  if ('refused' in identity) throw new CertificateError(paths.certificate, identity.refused);
  const wanted =
    role.kind === 'user' ? `user ${role.userName}` : role.kind === 'node' ? 'a node' : 'the control service';
  if (identity.kind !== role.kind || (identity.kind === 'user' && `user ${identity.userName}` !== wanted))
    throw new CertificateError(paths.certificate, `identifies ${describeIdentity(identity)}, not ${wanted}`);
  if (identity.clusterId !== clusterId)
    throw new CertificateError(
      paths.certificate,
      `belongs to cluster ${identity.clusterId}, not ${clusterId}`,
    );
  return { ca, certificate, key, identity };
}

/** A short human description of an identity, for messages. */
export function describeIdentity(identity: Identity): string {
  switch (identity.kind) {
    case 'control':
      return 'the control service';
    case 'node':
      return `node ${identity.nodeUuid}`;
    case 'user':
      return `user ${identity.userName}`;
  }
}

// --- internals ---

function parseCertificate(path: string, pem: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (error) {
    throw new CertificateError(path, 'is not a PEM certificate', { cause: error });
  }
}

function checkValidNow(path: string, cert: X509Certificate, now: Date): void {
  if (now < new Date(cert.validFrom) || now > new Date(cert.validTo))
    throw new CertificateError(path, `is not valid now (valid from ${cert.validFrom} to ${cert.validTo})`);
}

function parseKey(path: string, pem: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (error) {
    throw new CertificateError(path, 'is not a PEM private key', { cause: error });
  }
}

/** One attribute of a certificate's subject; undefined when absent or repeated. */
function subjectField(cert: X509Certificate, name: 'CN' | 'OU'): string | undefined {
  const values = cert.subject
    .split('\n')
    .filter((line) => line.startsWith(`${name}=`))
    .map((line) => line.slice(name.length + 1));
  return values.length === 1 ? values[0] : undefined;
}
