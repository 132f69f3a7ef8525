// loadCredentials reads a certificates directory laid out as /etc/flocker and names the file at fault.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type CertificateAndKey,
  type ClusterAuthority,
  createAuthority,
  credentialFileNames,
  expiredValidity,
  issueApiCertificate,
  issueControlCertificate,
  issueNodeCertificate,
  loadCredentials,
} from '../src/index.js';
import { scratchDir } from './fixtures.js';

let authority: ClusterAuthority;
let control: CertificateAndKey;
let node: CertificateAndKey & { nodeUuid: string };
let alice: CertificateAndKey;
beforeAll(async () => {
  authority = await createAuthority('test-cluster');
  [control, node, alice] = await Promise.all([
    issueControlCertificate(authority, 'control.example.com'),
    issueNodeCertificate(authority),
    issueApiCertificate(authority, 'alice'),
  ]);
});

/** A certificates directory with cluster.crt and `base`.crt/.key holding `pair`. */
async function layout(base: string, pair: CertificateAndKey, ca = authority.certificate): Promise<string> {
  const dir = await scratchDir();
  await writeFile(join(dir, 'cluster.crt'), ca);
  await writeFile(join(dir, `${base}.crt`), pair.certificate);
  await writeFile(join(dir, `${base}.key`), pair.key, { mode: 0o600 });
  return dir;
}

describe('loadCredentials', () => {
  it('loads the control service, a node and a user with their identities', async () => {
    const clusterId = authority.clusterId;
    const loaded = await loadCredentials(await layout('control-service', control), { kind: 'control' });
    expect(loaded).toMatchObject({
      ca: authority.certificate,
      certificate: control.certificate,
      key: control.key,
    });
    expect(loaded.identity).toEqual({ kind: 'control', clusterId });
    expect((await loadCredentials(await layout('node', node), { kind: 'node' })).identity).toEqual({
      kind: 'node',
      nodeUuid: node.nodeUuid,
      clusterId,
    });
    expect(
      (await loadCredentials(await layout('alice', alice), { kind: 'user', userName: 'alice' })).identity,
    ).toEqual({ kind: 'user', userName: 'alice', clusterId });
  });

  it('uses the original file names', () => {
    expect(credentialFileNames({ kind: 'control' })).toEqual({
      ca: 'cluster.crt',
      certificate: 'control-service.crt',
      key: 'control-service.key',
    });
    expect(credentialFileNames({ kind: 'node' })).toEqual({
      ca: 'cluster.crt',
      certificate: 'node.crt',
      key: 'node.key',
    });
    expect(credentialFileNames({ kind: 'user', userName: 'bob' })).toMatchObject({ certificate: 'bob.crt' });
  });

  it.for(['cluster.crt', 'node.crt', 'node.key'])('names a missing %s', async (missing) => {
    const dir = await scratchDir();
    for (const [name, text] of Object.entries({
      'cluster.crt': authority.certificate,
      'node.crt': node.certificate,
      'node.key': node.key,
    })) {
      if (name !== missing) await writeFile(join(dir, name), text);
    }
    await expect(loadCredentials(dir, { kind: 'node' })).rejects.toMatchObject({
      code: 'CERTIFICATE',
      path: join(dir, missing),
      message: `${join(dir, missing)}: is missing`,
    });
  });

  it('names an unreadable file (a directory where the key should be) and one that is not PEM', async () => {
    const dir = await scratchDir();
    await writeFile(join(dir, 'cluster.crt'), authority.certificate);
    await writeFile(join(dir, 'node.crt'), 'not a certificate');
    await mkdir(join(dir, 'node.key'));
    await expect(loadCredentials(dir, { kind: 'node' })).rejects.toThrow(
      `${join(dir, 'node.key')}: cannot be read (EISDIR)`,
    );
    const garbled = await layout('node', { ...node, certificate: 'not a certificate' });
    await expect(loadCredentials(garbled, { kind: 'node' })).rejects.toThrow(
      `${join(garbled, 'node.crt')}: is not a PEM certificate`,
    );
  });

  it('refuses a certificate of the wrong kind, naming it', async () => {
    const dir = await layout('node', alice);
    await expect(loadCredentials(dir, { kind: 'node' })).rejects.toThrow(
      `${join(dir, 'node.crt')}: identifies user alice, not a node`,
    );
    const bob = await layout('bob', alice);
    await expect(loadCredentials(bob, { kind: 'user', userName: 'bob' })).rejects.toThrow(
      /identifies user alice, not user bob/,
    );
  });

  it('refuses a certificate of another CA, an expired one, and a key that is not the certificate’s', async () => {
    const other = await createAuthority('other');
    const foreign = await layout('node', await issueNodeCertificate(other));
    await expect(loadCredentials(foreign, { kind: 'node' })).rejects.toThrow(
      /node\.crt: is not signed by the cluster CA/,
    );
    const expired = await layout(
      'node',
      await issueNodeCertificate(authority, { validity: expiredValidity() }),
    );
    await expect(loadCredentials(expired, { kind: 'node' })).rejects.toThrow(/node\.crt: is not valid now/);
    const expiredCa = await createAuthority('old', { validity: expiredValidity() });
    const underExpiredCa = await layout('node', await issueNodeCertificate(expiredCa), expiredCa.certificate);
    await expect(loadCredentials(underExpiredCa, { kind: 'node' })).rejects.toThrow(
      /cluster\.crt: is not valid now/,
    );
    const mismatched = await layout('node', { ...node, key: alice.key });
    await expect(loadCredentials(mismatched, { kind: 'node' })).rejects.toThrow(
      /node\.key: is not the private key of/,
    );
    const notCa = await layout('node', node, node.certificate);
    await expect(loadCredentials(notCa, { kind: 'node' })).rejects.toThrow(
      /cluster\.crt: is not a cluster CA certificate/,
    );
  });
});
