import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { onTestFinished } from 'vitest';
import {
  type ConfigurationStore,
  ControlClient,
  ControlService,
  type ControlServiceOptions,
  memoryStore,
  type RunningControlServer,
  type ServerSecurity,
  startControlServer,
} from '../src/index.js';

const run = promisify(execFile);

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
  /** An agent client speaking for `nodeUuid` (insecure mode: the node says who it is). */
  agent(nodeUuid: string): ControlClient;
}

/** A control service in insecure development mode on a free port, stopped when the test ends. */
export async function startTestControl(
  options: Partial<ControlServiceOptions> & { store?: ConfigurationStore } = {},
): Promise<TestControl> {
  const service = await ControlService.open({ store: memoryStore(), ...options });
  const server = await startControlServer({ service, security: undefined, ports: [0], host: '127.0.0.1' });
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
  return { service, server, client: make(), agent: (nodeUuid) => make(nodeUuid) };
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

export interface TestCertificates {
  readonly dir: string;
  readonly clusterId: string;
  readonly ca: Buffer;
  readonly security: ServerSecurity;
  /** Key and certificate of a client: `node-<uuid>` or `user-<name>`, signed by the cluster CA. */
  client(commonName: string): Promise<{ cert: Buffer; key: Buffer }>;
}

/**
 * A cluster CA (OU = cluster id), a control-service certificate (SAN DNS:control-service) and client
 * certificates, made with the openssl CLI as Flocker's layout has them.
 */
export async function makeCertificates(
  security: (files: { ca: Buffer; cert: Buffer; key: Buffer }) => ServerSecurity,
): Promise<TestCertificates> {
  const dir = await scratch();
  const clusterId = randomUUID();
  const openssl = (words: string, ...args: string[]) =>
    run('openssl', [...words.split(' '), ...args], { cwd: dir });
  const newKey = '-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes';
  await openssl(
    `req -x509 ${newKey} -days 2 -keyout cluster.key -out cluster.crt`,
    '-subj',
    `/CN=test-cluster/OU=${clusterId}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE,pathlen:0',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  const sign = async (name: string, subject: string, extensions: string): Promise<void> => {
    await openssl(`req ${newKey} -keyout ${name}.key -out ${name}.csr`, '-subj', subject);
    await writeFile(join(dir, `${name}.ext`), `${extensions}\n`);
    await openssl(
      `x509 -req -in ${name}.csr -CA cluster.crt -CAkey cluster.key -CAcreateserial -days 2 -out ${name}.crt`,
      '-extfile',
      `${name}.ext`,
    );
  };
  await sign('control-service', `/CN=control-service/OU=${clusterId}`, 'subjectAltName=DNS:control-service');
  const files = async (name: string) => ({
    cert: await readFile(join(dir, `${name}.crt`)),
    key: await readFile(join(dir, `${name}.key`)),
  });
  const ca = await readFile(join(dir, 'cluster.crt'));
  const control = await files('control-service');
  let counter = 0;
  return {
    dir,
    clusterId,
    ca,
    security: security({ ca, ...control }),
    client: async (commonName) => {
      counter += 1;
      const name = `client-${counter}`;
      await sign(name, `/CN=${commonName}/OU=${clusterId}`, 'extendedKeyUsage=clientAuth');
      return files(name);
    },
  };
}
