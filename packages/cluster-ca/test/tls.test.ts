// Mutual TLS against a real HTTPS server on 127.0.0.1, set up as the control service sets its ports up:
// serverTlsOptions for the handshake, peerIdentity on every request. A refused client either fails the
// handshake (its request never reaches the handler) or gets 403 before anything changes.
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { Agent, createServer, request as httpsRequest } from 'node:https';
import { type AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { Agent as UndiciAgent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  type ClusterCredentials,
  clientTlsOptions,
  createAuthority,
  createClientAgent,
  expiredValidity,
  type Identity,
  issueControlCertificate,
  issueNodeCertificate,
  type PeerKind,
  peerIdentity,
  serverTlsOptions,
} from '../src/index.js';
import { credentialsOf, makeCluster, type TestCluster } from './fixtures.js';

interface TestServer {
  readonly url: string;
  /** Requests that reached the handler at all. */
  readonly reached: number;
  /** Identities of the requests let through: what a refused client must never add to. */
  readonly changes: readonly Identity[];
  readonly close: () => Promise<void>;
}

/** A server presenting `server`'s credentials that lets `kinds` of this cluster (`clusterId`) through. */
async function startServer(
  server: ClusterCredentials,
  kinds: readonly PeerKind[],
  clusterId = server.identity.clusterId,
  overrides: { rejectUnauthorized?: boolean } = {},
): Promise<TestServer> {
  let reached = 0;
  const changes: Identity[] = [];
  const https = createServer({ ...serverTlsOptions(server), ...overrides }, (request, response) => {
    reached += 1;
    try {
      changes.push(peerIdentity(request.socket as TLSSocket, { clusterId, kinds }));
      response.writeHead(200).end(JSON.stringify(changes.at(-1)));
    } catch (error) {
      response.writeHead(403).end(JSON.stringify({ code: (error as { code: string }).code }));
    }
  });
  await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
  const { port } = https.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}/v1/state`,
    get reached() {
      return reached;
    },
    changes,
    close: async () => {
      https.closeAllConnections();
      await new Promise<void>((resolve) => https.close(() => resolve()));
    },
  };
}

/** GET `url` through `agent` (destroyed when the test finishes). */
async function get(url: string, agent: Agent): Promise<{ status: number; body: string }> {
  onTestFinished(() => agent.destroy());
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { agent }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Another cluster's node that trusts this cluster's control service: only the server can refuse it. */
const foreignNode = (): ClusterCredentials => ({
  ...other.node,
  ca: cluster.authority.certificate,
  identity: cluster.node.identity,
});

let cluster: TestCluster;
let other: TestCluster;
let nodeServer: TestServer;
let userServer: TestServer;
beforeAll(async () => {
  [cluster, other] = await Promise.all([makeCluster(), makeCluster()]);
  nodeServer = await startServer(cluster.control, ['node']);
  userServer = await startServer(cluster.control, ['user']);
});
afterAll(async () => {
  await nodeServer?.close();
  await userServer?.close();
});

describe('the server (serverTlsOptions + peerIdentity)', () => {
  it('accepts a good node and reports its node id and cluster from the certificate', async () => {
    const { status, body } = await get(nodeServer.url, createClientAgent(cluster.node));
    expect(status).toBe(200);
    const identity = cluster.node.identity;
    expect(identity.kind).toBe('node');
    expect(JSON.parse(body)).toEqual({
      kind: 'node',
      nodeUuid: identity.kind === 'node' ? identity.nodeUuid : '',
      clusterId: cluster.authority.clusterId,
    });
  });

  it('accepts a good API user and reports its name', async () => {
    const { status, body } = await get(userServer.url, createClientAgent(cluster.user));
    expect(status).toBe(200);
    expect(JSON.parse(body)).toEqual({
      kind: 'user',
      userName: 'alice',
      clusterId: cluster.authority.clusterId,
    });
  });

  // Each refusal is checked on a fresh server, so "reached" and "changes" count that client alone.
  const refusedAtHandshake: [string, () => Promise<Agent>][] = [
    [
      'no client certificate',
      async () => new Agent({ ...clientTlsOptions(cluster.node), cert: undefined, key: undefined }),
    ],
    ['a certificate of another CA', async () => createClientAgent(foreignNode())],
    [
      'an expired certificate of the cluster CA',
      async () =>
        createClientAgent(
          credentialsOf(
            cluster.authority,
            await issueNodeCertificate(cluster.authority, { validity: expiredValidity() }),
          ),
        ),
    ],
  ];
  it.for(refusedAtHandshake)(
    'refuses %s at the handshake: no request reaches the handler',
    async ([, agent]) => {
      const server = await startServer(cluster.control, ['node']);
      onTestFinished(() => server.close());
      const error = await get(server.url, await agent()).then(
        () => undefined,
        (failure: NodeJS.ErrnoException) => failure,
      );
      expect(error).toBeInstanceOf(Error);
      // The server refused: the client itself accepted the server (no name or cluster complaint).
      expect(error?.message).not.toMatch(/server's certificate|altnames|self-signed|unable to verify/i);
      expect(server.reached).toBe(0);
      expect(server.changes).toEqual([]);
    },
  );

  it('peerIdentity alone also refuses no certificate and an unverified one (a server that did not reject them)', async () => {
    const lax = await startServer(cluster.control, ['node'], cluster.authority.clusterId, {
      rejectUnauthorized: false,
    });
    onTestFinished(() => lax.close());
    const none = await get(
      lax.url,
      new Agent({ ...clientTlsOptions(cluster.node), cert: undefined, key: undefined }),
    );
    const foreign = await get(lax.url, createClientAgent(foreignNode()));
    expect([none.status, foreign.status]).toEqual([403, 403]);
    expect(lax.reached).toBe(2);
    expect(lax.changes).toEqual([]);
  });

  it('refuses a user certificate where a node is required, and a node certificate where a user is', async () => {
    const asUser = await get(nodeServer.url, createClientAgent(cluster.user));
    const asNode = await get(userServer.url, createClientAgent(cluster.node));
    expect([asUser.status, asNode.status]).toEqual([403, 403]);
    expect(JSON.parse(asUser.body)).toEqual({ code: 'PEER_REFUSED' });
    expect(nodeServer.changes.every((identity) => identity.kind === 'node')).toBe(true);
    expect(userServer.changes.every((identity) => identity.kind === 'user')).toBe(true);
  });

  it('refuses the control service’s own certificate used as a client', async () => {
    expect((await get(nodeServer.url, createClientAgent({ ...cluster.control }))).status).toBe(403);
  });

  it('refuses a verified certificate whose OU is not this cluster’s', async () => {
    const server = await startServer(cluster.control, ['node'], randomUUID());
    onTestFinished(() => server.close());
    const { status } = await get(server.url, createClientAgent(cluster.node));
    expect(status).toBe(403);
    expect(server.changes).toEqual([]);
  });

  it('refuses a plain HTTP request on the TLS port', async () => {
    const server = await startServer(cluster.control, ['node']);
    onTestFinished(() => server.close());
    const plain = new Promise<number>((resolve, reject) => {
      const req = httpRequest(server.url.replace('https:', 'http:'), (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    // Either the connection is dropped or an error status comes back; never a handled request.
    const outcome = await plain.then(
      (status) => status,
      (error: NodeJS.ErrnoException) => error.code,
    );
    expect(outcome === 'ECONNRESET' || (typeof outcome === 'number' && outcome >= 400), String(outcome)).toBe(
      true,
    );
    expect(server.reached).toBe(0);
  });
});

it('peerIdentity refuses a plain TCP socket (a server started without TLS) with PEER_REFUSED', () => {
  expect(() =>
    peerIdentity(new Socket() as TLSSocket, { clusterId: cluster.authority.clusterId, kinds: ['node'] }),
  ).toThrow(
    expect.objectContaining({
      code: 'PEER_REFUSED',
      message: expect.stringContaining('not a TLS connection'),
    }),
  );
});

describe('the client (clientTlsOptions / createClientAgent)', () => {
  it('accepts control-service however it was dialled: 127.0.0.1 is not in a certificate made for another host', async () => {
    expect((await get(nodeServer.url, createClientAgent(cluster.node))).status).toBe(200);
  });

  it('works as an undici Agent’s connect options for fetch, and still refuses a server not named control-service', async () => {
    const dispatcher = new UndiciAgent({ connect: clientTlsOptions(cluster.user) });
    onTestFinished(() => dispatcher.close());
    const response = await undiciFetch(userServer.url, { dispatcher });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ kind: 'user', userName: 'alice' });
    const impostor = await startServer({ ...cluster.node }, ['user']);
    onTestFinished(() => impostor.close());
    await expect(undiciFetch(impostor.url, { dispatcher })).rejects.toMatchObject({
      cause: { code: 'ERR_TLS_CERT_ALTNAME_INVALID' },
    });
    expect(impostor.reached).toBe(0);
  });

  it('refuses a server certificate of the cluster CA that is not named control-service', async () => {
    const server = await startServer({ ...cluster.node }, ['node']);
    onTestFinished(() => server.close());
    await expect(get(server.url, createClientAgent(cluster.node))).rejects.toMatchObject({
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
    expect(server.reached).toBe(0);
  });

  it('refuses a control-service certificate from another CA', async () => {
    const server = await startServer(other.control, ['node'], cluster.authority.clusterId);
    onTestFinished(() => server.close());
    await expect(get(server.url, createClientAgent(cluster.node))).rejects.toThrow();
    expect(server.reached).toBe(0);
  });

  it('refuses a control-service of another cluster even when its CA is trusted', async () => {
    // A client whose CA bundle also holds another cluster's CA must still insist on its own cluster id.
    const foreign = await createAuthority('foreign');
    const bundle = { ...cluster.node, ca: `${cluster.authority.certificate}${foreign.certificate}` };
    const server = await startServer(
      credentialsOf(foreign, await issueControlCertificate(foreign, '127.0.0.1')),
      ['node'],
      cluster.authority.clusterId,
    );
    onTestFinished(() => server.close());
    await expect(get(server.url, createClientAgent(bundle))).rejects.toThrow(/belongs to cluster/);
    expect(server.reached).toBe(0);
  });
});
