// Test helpers: a cluster's credentials made in memory, without loadCredentials' checks, so that tests can also
// hold bad ones (expired, another CA's, the wrong kind) and present them.
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import {
  type CertificateAndKey,
  type ClusterAuthority,
  type ClusterCredentials,
  createAuthority,
  type Identity,
  identityFromSubject,
  issueApiCertificate,
  issueControlCertificate,
  issueNodeCertificate,
} from '../src/index.js';

/** `pair` as credentials trusting `authority`, with the identity its subject names. */
export function credentialsOf(authority: CertificateAndKey, pair: CertificateAndKey): ClusterCredentials {
  const subject = new X509Certificate(pair.certificate).subject.split('\n');
  const field = (name: string) => subject.find((line) => line.startsWith(`${name}=`))?.slice(name.length + 1);
  const identity = identityFromSubject(field('CN'), field('OU'));
  if ('refused' in identity) throw new Error(identity.refused);
  return {
    ca: authority.certificate,
    certificate: pair.certificate,
    key: pair.key,
    identity: identity as Identity,
  };
}

/** One cluster's CA and a control service, a node and a user of it. */
export interface TestCluster {
  readonly authority: ClusterAuthority;
  readonly control: ClusterCredentials;
  readonly node: ClusterCredentials;
  readonly user: ClusterCredentials;
}

export async function makeCluster(controlHost = 'control.example.com'): Promise<TestCluster> {
  const authority = await createAuthority('test-cluster');
  return {
    authority,
    control: credentialsOf(authority, await issueControlCertificate(authority, controlHost)),
    node: credentialsOf(authority, await issueNodeCertificate(authority)),
    user: credentialsOf(authority, await issueApiCertificate(authority, 'alice')),
  };
}

/** A scratch directory removed when the current test finishes. */
export async function scratchDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'flockerjs-cluster-ca-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
