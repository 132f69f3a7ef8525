import {
  createPrivateKey,
  KeyObject,
  randomBytes,
  randomUUID,
  webcrypto,
  X509Certificate,
} from 'node:crypto';
import { isIP } from 'node:net';
import { CertificateError } from '@flockerjs/core-interface';
import { CONTROL_SERVICE_NAME, checkUserName, isUuid, NODE_CN_PREFIX, USER_CN_PREFIX } from './identity.js';

/** How long a certificate is valid, as in the original (20 years): rotation is by re-issuing, not by expiry. */
export const CERTIFICATE_LIFETIME_MS: number = 20 * 365 * 24 * 3600 * 1000;
/** Certificates start being valid a little in the past, so that a node whose clock lags accepts them at once. */
const BACKDATE_MS = 5 * 60 * 1000;
/**
 * ECDSA P-256 with SHA-256 where the original used RSA 4096: the same job (TLS 1.2/1.3 client and server
 * authentication, accepted by every OpenSSL), 128-bit security (more than RSA 3072's), and a key is made in
 * about a millisecond where RSA 4096 takes seconds, so tests can make dozens of certificates.
 */
const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;

/** A DNS name: dot-separated labels of letters, digits and inner hyphens (RFC 1123), 253 characters at most. */
const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** PEM texts of a certificate and of its private key (PKCS #8). */
export interface CertificateAndKey {
  readonly certificate: string;
  readonly key: string;
}

/** The cluster's certificate authority: its certificate and key, and the cluster id (the OU of everything). */
export interface ClusterAuthority extends CertificateAndKey {
  readonly clusterId: string;
}

/** When a certificate is valid. Only tests need another window than the default (now to 20 years on). */
export interface Validity {
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** Options of every issuing function. */
export interface IssueOptions {
  /** @default from five minutes ago for {@link CERTIFICATE_LIFETIME_MS} */
  readonly validity?: Validity;
}

/**
 * A validity window that ended a day before `now`: for tests that prove expired certificates are refused.
 * Deliberately not reachable from the `flocker-ca` command.
 */
export function expiredValidity(now: Date = new Date()): Validity {
  const day = 24 * 3600 * 1000;
  return { notBefore: new Date(now.getTime() - 30 * day), notAfter: new Date(now.getTime() - day) };
}

/**
 * A new cluster: a fresh random cluster id, a key, and a self-signed CA certificate with CN `name`, OU the
 * cluster id, basicConstraints CA:TRUE pathlen:0 and keyUsage keyCertSign, cRLSign (both critical).
 */
export async function createAuthority(
  name: string,
  options: IssueOptions & { readonly clusterId?: string } = {},
): Promise<ClusterAuthority> {
  if (name.length === 0 || name.length > 64 || /[\p{Cc}]/u.test(name))
    throw new CertificateError(
      undefined,
      `invalid cluster name ${JSON.stringify(name)}: expected 1-64 printable characters`,
    );
  const clusterId = options.clusterId ?? randomUUID();
  if (!isUuid(clusterId))
    throw new CertificateError(undefined, `invalid cluster id ${JSON.stringify(clusterId)}`);
  const lib = await x509();
  const keys = await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
  const { notBefore, notAfter } = options.validity ?? defaultValidity();
  const certificate = await lib.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: new lib.Name([{ CN: [name] }, { OU: [clusterId] }]),
    keys,
    notBefore,
    notAfter,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: [
      new lib.BasicConstraintsExtension(true, 0, true),
      new lib.KeyUsagesExtension(lib.KeyUsageFlags.keyCertSign | lib.KeyUsageFlags.cRLSign, true),
      await lib.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await lib.AuthorityKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificate: pemText(certificate), key: await exportKey(keys.privateKey), clusterId };
}

/**
 * The control service's certificate: CN `control-service`, SAN DNS:control-service plus `hostname` (an IP SAN
 * when it is an IPv4 or IPv6 address, a DNS SAN otherwise).
 */
export async function issueControlCertificate(
  authority: CertificateAndKey,
  hostname: string,
  options: IssueOptions = {},
): Promise<CertificateAndKey> {
  const ip = isIP(hostname) !== 0;
  if (!ip && !HOSTNAME.test(hostname))
    throw new CertificateError(
      undefined,
      `invalid hostname ${JSON.stringify(hostname)}: expected a DNS name or an IP address`,
    );
  return issue(authority, CONTROL_SERVICE_NAME, options, (lib) => [
    new lib.SubjectAlternativeNameExtension([
      { type: 'dns', value: CONTROL_SERVICE_NAME },
      { type: ip ? 'ip' : 'dns', value: hostname },
    ]),
  ]);
}

/** A node agent's certificate, CN `node-<uuid>`: `nodeUuid` (default a fresh UUID) is the node's identity. */
export async function issueNodeCertificate(
  authority: CertificateAndKey,
  options: IssueOptions & { readonly nodeUuid?: string } = {},
): Promise<CertificateAndKey & { readonly nodeUuid: string }> {
  const nodeUuid = options.nodeUuid ?? randomUUID();
  if (!isUuid(nodeUuid))
    throw new CertificateError(
      undefined,
      `invalid node id ${JSON.stringify(nodeUuid)}: expected a lowercase UUID`,
    );
  return { ...(await issue(authority, `${NODE_CN_PREFIX}${nodeUuid}`, options, () => [])), nodeUuid };
}

/** An API user's certificate: CN `user-<userName>`, extendedKeyUsage clientAuth. */
export async function issueApiCertificate(
  authority: CertificateAndKey,
  userName: string,
  options: IssueOptions = {},
): Promise<CertificateAndKey> {
  checkUserName(userName);
  return issue(authority, `${USER_CN_PREFIX}${userName}`, options, (lib) => [
    new lib.ExtendedKeyUsageExtension([lib.ExtendedKeyUsage.clientAuth]),
  ]);
}

// --- internals ---

type X509Lib = typeof import('@peculiar/x509');
type ExtensionList = InstanceType<X509Lib['Extension']>[];

/**
 * @peculiar/x509 needs a Reflect metadata polyfill (through tsyringe). It is loaded on first use, so that the
 * control service and agents, which only use the TLS helpers, never load either.
 */
async function x509(): Promise<X509Lib> {
  await import('reflect-metadata');
  const lib = await import('@peculiar/x509');
  lib.cryptoProvider.set(webcrypto as unknown as Parameters<X509Lib['cryptoProvider']['set']>[0]);
  return lib;
}

function defaultValidity(): Validity {
  const now = Date.now();
  return { notBefore: new Date(now - BACKDATE_MS), notAfter: new Date(now + CERTIFICATE_LIFETIME_MS) };
}

/** A random positive 128-bit serial number in hex, as the original's. */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01;
  return bytes.toString('hex');
}

/** PEM ending in a newline, as openssl writes it, so that certificates can be concatenated into a bundle. */
function pemText(certificate: { toString(format: 'pem'): string }): string {
  return `${certificate.toString('pem').trimEnd()}\n`;
}

async function exportKey(key: webcrypto.CryptoKey): Promise<string> {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** Signs a new key's certificate with subject CN `cn`, OU the cluster id, and the given extensions. */
async function issue(
  authority: CertificateAndKey,
  cn: string,
  options: IssueOptions,
  extensions: (lib: X509Lib) => ExtensionList,
): Promise<CertificateAndKey> {
  const lib = await x509();
  const signer = await importAuthority(authority, lib);
  const keys = await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
  const { notBefore, notAfter } = options.validity ?? defaultValidity();
  const certificate = await lib.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: new lib.Name([{ CN: [cn] }, { OU: [signer.clusterId] }]),
    issuer: signer.certificate.subjectName,
    publicKey: keys.publicKey,
    signingKey: signer.key,
    notBefore,
    notAfter,
    signingAlgorithm: signer.algorithm,
    extensions: [
      ...extensions(lib),
      await lib.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await lib.AuthorityKeyIdentifierExtension.create(signer.certificate.publicKey),
    ],
  });
  return { certificate: pemText(certificate), key: await exportKey(keys.privateKey) };
}

/**
 * The authority's certificate and signing key, checked: a CA certificate with a cluster id, and the key that
 * belongs to it. RSA keys are accepted too, so a CA made by the original `flocker-ca` can issue new certificates.
 */
async function importAuthority(
  authority: CertificateAndKey,
  lib: X509Lib,
): Promise<{
  certificate: InstanceType<X509Lib['X509Certificate']>;
  key: webcrypto.CryptoKey;
  algorithm: webcrypto.Algorithm;
  clusterId: string;
}> {
  let parsed: X509Certificate;
  let keyObject: KeyObject;
  try {
    parsed = new X509Certificate(authority.certificate);
    keyObject = createPrivateKey(authority.key);
  } catch (error) {
    throw new CertificateError(undefined, 'the certificate authority is not a PEM certificate and key', {
      cause: error,
    });
  }
  if (!parsed.ca) throw new CertificateError(undefined, 'the certificate authority is not a CA certificate');
  if (!parsed.checkPrivateKey(keyObject))
    throw new CertificateError(undefined, 'the certificate authority key does not belong to its certificate');
  const clusterId = /^OU=(.*)$/m.exec(parsed.subject)?.[1] ?? '';
  if (!isUuid(clusterId))
    throw new CertificateError(
      undefined,
      'the certificate authority has no cluster id (its OU is not a UUID)',
    );
  const der = keyObject.export({ type: 'pkcs8', format: 'der' });
  let algorithm: webcrypto.Algorithm;
  let importAs: webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams;
  if (keyObject.asymmetricKeyType === 'rsa') {
    importAs = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    algorithm = importAs;
  } else if (keyObject.asymmetricKeyType === 'ec') {
    const curve = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' }[
      keyObject.asymmetricKeyDetails?.namedCurve ?? ''
    ];
    if (curve === undefined)
      throw new CertificateError(undefined, 'the certificate authority key uses an unsupported curve');
    importAs = { name: 'ECDSA', namedCurve: curve };
    algorithm = { name: 'ECDSA', hash: 'SHA-256' } as webcrypto.Algorithm;
  } else {
    throw new CertificateError(
      undefined,
      `the certificate authority key type ${keyObject.asymmetricKeyType} is not supported`,
    );
  }
  const key = await webcrypto.subtle.importKey('pkcs8', der, importAs, false, ['sign']);
  return { certificate: new lib.X509Certificate(authority.certificate), key, algorithm, clusterId };
}
