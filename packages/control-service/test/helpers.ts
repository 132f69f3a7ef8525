import { randomUUID, X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CertificateAndKey,
  type ClusterAuthority,
  type ClusterCredentials,
  createAuthority,
  type IssueOptions,
  identityFromSubject,
  issueApiCertificate,
  issueControlCertificate,
  issueNodeCertificate,
} from '@flockerjs/cluster-ca';
import { onTestFinished } from 'vitest';
import {
  type ConfigurationStore,
  ControlClient,
  ControlService,
  type ControlServiceOptions,
  memoryStore,
  type RunningControlServer,
  startControlServer,
} from '../src/index.js';

/** A fresh scratch directory, removed when the test ends. */
export async function scratch(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'flockerjs-control-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export interface TestControl {
  readonly service: ControlService;
  readonly server: RunningControlServer;
  /** A REST client (insecure mode: no identity). */
  readonly client: ControlClient;
  /** What the server logged (incidents). */
  readonly logs: string[];
  /** An agent client speaking for `nodeUuid` (insecure mode: the node says who it is). */
  agent(nodeUuid: string): ControlClient;
}

/** A control service in insecure development mode on a free port, stopped when the test ends. */
export async function startTestControl(
  options: Partial<ControlServiceOptions> & { store?: ConfigurationStore } = {},
): Promise<TestControl> {
  const service = await ControlService.open({ store: memoryStore(), ...options });
  const logs: string[] = [];
  const server = await startControlServer({
    service,
    credentials: undefined,
    ports: [0],
    host: '127.0.0.1',
    log: (line) => logs.push(line),
  });
  const clients: ControlClient[] = [];
  const make = (nodeUuid?: string): ControlClient => {
    const client = new ControlClient({ url: server.url, ...(nodeUuid === undefined ? {} : { nodeUuid }) });
    clients.push(client);
    return client;
  };
  onTestFinished(async () => {
    for (const client of clients) client.close();
    await server.close();
  });
  return { service, server, client: make(), logs, agent: (nodeUuid) => make(nodeUuid) };
}

/** Makes a node known to the service by reporting an empty state for it; returns its UUID. */
export async function reportNode(
  control: TestControl,
  nodeUuid: string = randomUUID(),
  datasets: Parameters<ControlClient['reportNodeState']>[0]['datasets'] = [],
): Promise<string> {
  await control
    .agent(nodeUuid)
    .reportNodeState({ instance_id: `instance-${nodeUuid.slice(0, 8)}`, datasets });
  return nodeUuid;
}

/** Raw HTTP, for what the typed client cannot send (bad JSON, unknown keys, bad path segments). */
export async function raw(
  url: string,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const response = await fetch(new URL(path, url), {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text === '' ? undefined : JSON.parse(text),
    headers: response.headers,
  };
}

/** A cluster CA with the control service's credentials, and credentials for its nodes and users on demand. */
export interface TestCluster {
  readonly authority: ClusterAuthority;
  readonly clusterId: string;
  readonly control: ClusterCredentials;
  node(nodeUuid?: string): Promise<ClusterCredentials>;
  user(name: string, options?: IssueOptions): Promise<ClusterCredentials>;
}

export async function makeCluster(): Promise<TestCluster> {
  const authority = await createAuthority('test-cluster');
  const credentialsOf = (pair: CertificateAndKey): ClusterCredentials => {
    const subject = new X509Certificate(pair.certificate).subject.split('\n');
    const field = (name: string) =>
      subject.find((line) => line.startsWith(`${name}=`))?.slice(name.length + 1);
    const identity = identityFromSubject(field('CN'), field('OU'));
    if ('refused' in identity) throw new Error(identity.refused);
    return { ca: authority.certificate, certificate: pair.certificate, key: pair.key, identity };
  };
  return {
    authority,
    clusterId: authority.clusterId,
    control: credentialsOf(await issueControlCertificate(authority, '127.0.0.1')),
    node: async (nodeUuid) =>
      credentialsOf(await issueNodeCertificate(authority, nodeUuid === undefined ? {} : { nodeUuid })),
    user: async (name, options) => credentialsOf(await issueApiCertificate(authority, name, options)),
  };
}
