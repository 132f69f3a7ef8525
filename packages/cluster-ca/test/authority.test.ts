// The certificates have the original's subjects and extensions, checked by parsing them back with Node's own
// X509Certificate (chain, SAN, key usage) and @peculiar/x509 (criticality, path length).
import { generateKeyPairSync, randomUUID, webcrypto, X509Certificate } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CERTIFICATE_LIFETIME_MS,
  type ClusterAuthority,
  createAuthority,
  expiredValidity,
  issueApiCertificate,
  issueControlCertificate,
  issueNodeCertificate,
} from '../src/index.js';

const DAY_MS = 24 * 3600 * 1000;
let authority: ClusterAuthority;
beforeAll(async () => {
  authority = await createAuthority('test-cluster');
});

function parse(pem: string): { node: X509Certificate; lib: x509.X509Certificate } {
  return { node: new X509Certificate(pem), lib: new x509.X509Certificate(pem) };
}

describe('createAuthority', () => {
  it('is a self-signed CA: CN the name, OU a new cluster UUID, CA:TRUE pathlen:0 and keyCertSign,cRLSign, critical', async () => {
    const { node, lib } = parse(authority.certificate);
    expect(node.subject).toBe(`CN=test-cluster\nOU=${authority.clusterId}`);
    expect(node.issuer).toBe(node.subject);
    expect(node.ca).toBe(true);
    expect(node.verify(node.publicKey)).toBe(true);
    expect(authority.clusterId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    const constraints = lib.getExtension(x509.BasicConstraintsExtension);
    expect(constraints).toMatchObject({ ca: true, pathLength: 0, critical: true });
    const usage = lib.getExtension(x509.KeyUsagesExtension);
    expect(usage?.critical).toBe(true);
    expect(usage?.usages).toBe(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
    expect(lib.getExtension(x509.SubjectKeyIdentifierExtension)).not.toBeNull();
    expect(authority.key).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect((await createAuthority('test-cluster')).clusterId).not.toBe(authority.clusterId);
  });

  it('is valid for 20 years from (about) now, with a random positive 128-bit serial', async () => {
    const { node } = parse(authority.certificate);
    const from = new Date(node.validFrom).getTime();
    const to = new Date(node.validTo).getTime();
    expect(to - from).toBeGreaterThanOrEqual(CERTIFICATE_LIFETIME_MS);
    expect(Math.abs(from - Date.now())).toBeLessThan(DAY_MS);
    expect(node.serialNumber).toMatch(/^(?!00)[0-7][0-9A-F]{31}$/);
    expect(parse((await createAuthority('x')).certificate).node.serialNumber).not.toBe(node.serialNumber);
  });

  it('rejects an empty or control-character name with CERTIFICATE', async () => {
    await expect(createAuthority('')).rejects.toMatchObject({ code: 'CERTIFICATE' });
    await expect(createAuthority('a\nb')).rejects.toMatchObject({ code: 'CERTIFICATE' });
  });
});

describe('issued certificates', () => {
  it('control: CN control-service, SAN DNS:control-service and the hostname; chained to the CA', async () => {
    const { node, lib } = parse(
      (await issueControlCertificate(authority, 'control.example.com')).certificate,
    );
    expect(node.subject).toBe(`CN=control-service\nOU=${authority.clusterId}`);
    expect(node.subjectAltName).toBe('DNS:control-service, DNS:control.example.com');
    expect(node.checkHost('control-service')).toBe('control-service');
    expect(node.checkIssued(new X509Certificate(authority.certificate))).toBe(true);
    expect(node.verify(new X509Certificate(authority.certificate).publicKey)).toBe(true);
    expect(node.ca).toBe(false);
    expect(lib.getExtension(x509.AuthorityKeyIdentifierExtension)).not.toBeNull();
  });

  it('control with an IP address: an IP SAN, not a DNS one', async () => {
    const { node } = parse((await issueControlCertificate(authority, '192.0.2.7')).certificate);
    expect(node.subjectAltName).toBe('DNS:control-service, IP Address:192.0.2.7');
    expect(node.checkIP('192.0.2.7')).toBe('192.0.2.7');
  });

  it('node: CN node-<uuid>, a fresh UUID unless one is given', async () => {
    const made = await issueNodeCertificate(authority);
    expect(new X509Certificate(made.certificate).subject).toBe(
      `CN=node-${made.nodeUuid}\nOU=${authority.clusterId}`,
    );
    const nodeUuid = randomUUID();
    expect((await issueNodeCertificate(authority, { nodeUuid })).nodeUuid).toBe(nodeUuid);
    expect((await issueNodeCertificate(authority)).nodeUuid).not.toBe(made.nodeUuid);
  });

  it('API user: CN user-<name> with extendedKeyUsage clientAuth', async () => {
    const { node, lib } = parse((await issueApiCertificate(authority, 'alice')).certificate);
    expect(node.subject).toBe(`CN=user-alice\nOU=${authority.clusterId}`);
    expect(node.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(lib.getExtension(x509.ExtendedKeyUsageExtension)?.usages).toEqual([
      x509.ExtendedKeyUsage.clientAuth,
    ]);
  });

  it('expiredValidity() makes a certificate whose validity ended before now', async () => {
    const { certificate } = await issueNodeCertificate(authority, { validity: expiredValidity() });
    expect(new Date(new X509Certificate(certificate).validTo).getTime()).toBeLessThan(Date.now());
  });

  it('rejects names that cannot be a CN or a file name, and a key that is not the CA certificate’s', async () => {
    for (const name of ['', '../alice', 'a/b', 'a b', '-x', 'x'.repeat(60)])
      await expect(issueApiCertificate(authority, name), name).rejects.toMatchObject({ code: 'CERTIFICATE' });
    for (const host of ['', 'a b', 'a/b', '-a.example'])
      await expect(issueControlCertificate(authority, host), host).rejects.toMatchObject({
        code: 'CERTIFICATE',
      });
    await expect(issueNodeCertificate(authority, { nodeUuid: 'not-a-uuid' })).rejects.toMatchObject({
      code: 'CERTIFICATE',
    });
    const other = await createAuthority('other');
    await expect(
      issueNodeCertificate({ certificate: authority.certificate, key: other.key }),
    ).rejects.toThrow(/key does not belong/);
    const leaf = await issueNodeCertificate(authority);
    await expect(issueNodeCertificate(leaf)).rejects.toThrow(/not a CA certificate/);
  });

  it('an RSA CA, as the original flocker-ca made, still issues certificates chained to it', async () => {
    const clusterId = randomUUID();
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    const keys = {
      privateKey: await webcrypto.subtle.importKey(
        'pkcs8',
        privateKey.export({ type: 'pkcs8', format: 'der' }),
        algorithm,
        true,
        ['sign'],
      ),
      publicKey: await webcrypto.subtle.importKey(
        'spki',
        publicKey.export({ type: 'spki', format: 'der' }),
        algorithm,
        true,
        ['verify'],
      ),
    };
    x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
    const caCert = await x509.X509CertificateGenerator.createSelfSigned({
      name: new x509.Name([{ CN: ['legacy'] }, { OU: [clusterId] }]),
      keys,
      signingAlgorithm: algorithm,
      extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
    });
    // PKCS #1 PEM ("BEGIN RSA PRIVATE KEY"), as pyOpenSSL wrote cluster.key.
    const legacy = {
      certificate: caCert.toString('pem'),
      key: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    };
    const issued = new X509Certificate((await issueApiCertificate(legacy, 'bob')).certificate);
    expect(issued.subject).toBe(`CN=user-bob\nOU=${clusterId}`);
    expect(issued.verify(publicKey)).toBe(true);
  });
});
