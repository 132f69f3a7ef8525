// The agent protocol: agents report state and register volumes, and learn changes by long poll; under mutual
// TLS a node speaks only for the node its certificate names.
import { randomUUID } from 'node:crypto';
import { type ClusterCredentials, expiredValidity } from '@flockerjs/cluster-ca';
import { describe, expect, it } from 'vitest';
import {
  ControlApiError,
  ControlClient,
  ControlService,
  memoryStore,
  startControlServer,
} from '../src/index.js';
import { makeCluster, raw, reportNode, startTestControl } from './helpers.js';

describe('watch (long poll)', () => {
  it('answers at once for an unknown version, and wakes a waiting watch when the configuration changes', async () => {
    const control = await startTestControl();
    const node = await reportNode(control);
    const agent = control.agent(node);
    const first = await agent.watchCluster({ since: 'never-seen', waitMs: 60_000 });
    expect(first).toMatchObject({ cluster_id: control.service.clusterId, node_uuid: node, datasets: [] });
    expect(first.nodes.map((n) => n.uuid)).toEqual([node]);
    // One request that waits up to a minute: it returns because of the change, not because time ran out.
    const waiting = agent.watchCluster({ since: first.version, waitMs: 60_000 });
    const created = await control.client.createDataset({ primary: node });
    const update = await waiting;
    expect(update.version).not.toBe(first.version);
    expect(update.datasets).toEqual([created]);
  });

  it('returns the same version when nothing changed within wait_ms', async () => {
    const control = await startTestControl();
    const agent = control.agent(await reportNode(control));
    const { version } = await agent.watchCluster({ waitMs: 0 });
    expect((await agent.watchCluster({ since: version, waitMs: 50 })).version).toBe(version);
  });

  it("wakes on another node's state report, so a node waiting for a detach learns of it at once", async () => {
    const control = await startTestControl();
    const [a, b] = [await reportNode(control), await reportNode(control)];
    const { version } = await control.agent(b).watchCluster({ waitMs: 0 });
    const waiting = control.agent(b).watchCluster({ since: version, waitMs: 60_000 });
    const dataset = randomUUID();
    await reportNode(control, a, [{ dataset_id: dataset, maximum_size: null }]);
    const update = await waiting;
    expect(update.nodes.find((n) => n.uuid === a)?.datasets).toEqual([
      { dataset_id: dataset, maximum_size: null },
    ]);
  });

  it('a closing service answers the waiting watches', async () => {
    const service = await ControlService.open({ store: memoryStore() });
    const node = randomUUID();
    const { version } = await service.watch(node, undefined, 0);
    const waiting = service.watch(node, version, 60_000);
    await service.close();
    expect((await waiting).version).toBe(version);
  });
});

describe('ownership', () => {
  it('first registration wins; another volume for the dataset is refused naming the owner (409)', async () => {
    const control = await startTestControl();
    const [a, b] = [await reportNode(control), await reportNode(control)];
    const dataset = randomUUID();
    await control.agent(a).recordOwnership(dataset, 'vol-first');
    await control.agent(a).recordOwnership(dataset, 'vol-first');
    const error = await control
      .agent(b)
      .recordOwnership(dataset, 'vol-second')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ControlApiError);
    expect(error).toMatchObject({ status: 409, code: 'ALREADY_OWNED' });
    expect((error as ControlApiError).description).toContain('vol-first');
    expect((await control.agent(a).watchCluster({ waitMs: 0 })).ownership).toEqual({
      [dataset]: 'vol-first',
    });
  });
});

describe('insecure development mode', () => {
  it('an agent request must say which node it speaks for (400)', async () => {
    const control = await startTestControl();
    const response = await raw(
      control.server.url,
      'POST',
      '/v1/agent/state',
      '{"instance_id": "i", "datasets": []}',
    );
    expect(response).toMatchObject({ status: 400, body: { errors: ['node_uuid: required without TLS'] } });
    expect(control.service.nodes()).toEqual([]);
  });
});

describe('mutual TLS: identities from certificates', () => {
  it('a node reports only for itself; users and nodes each keep to their routes (403, nothing changed)', async () => {
    const cluster = await makeCluster();
    const service = await ControlService.open({ store: memoryStore(), clusterId: cluster.clusterId });
    const server = await startControlServer({
      service,
      credentials: cluster.control,
      ports: [0],
      host: '127.0.0.1',
    });
    const [a, b] = [randomUUID(), randomUUID()];
    const clients: ControlClient[] = [];
    const client = async (
      credentials: Promise<ClusterCredentials>,
      nodeUuid?: string,
    ): Promise<ControlClient> => {
      const made = new ControlClient({
        url: server.url,
        credentials: await credentials,
        ...(nodeUuid === undefined ? {} : { nodeUuid }),
      });
      clients.push(made);
      return made;
    };
    try {
      const nodeA = await client(cluster.node(a));
      const nodeB = await client(cluster.node(b));
      const user = await client(cluster.user('alice'));
      expect(await nodeA.reportNodeState({ instance_id: 'i-a', datasets: [] })).toBe(a);
      const dataset = randomUUID();
      await nodeB.reportNodeState({ instance_id: 'i-b', datasets: [] });
      const before = service.nodes();

      // B's certificate claiming to be A: refused, and A's state is untouched.
      const forged = await nodeB
        .reportNodeState({
          node_uuid: a,
          instance_id: 'i-forged',
          datasets: [{ dataset_id: dataset, maximum_size: null, path: '/x' }],
        })
        .catch((e: unknown) => e);
      expect(forged).toMatchObject({ status: 403, code: 'FORBIDDEN' });
      expect((forged as ControlApiError).description).toContain(`belongs to node ${b}`);
      expect(service.nodes()).toEqual(before);
      expect(service.datasetStates()).toEqual([]);
      const forgedOwnership = await nodeB
        .recordOwnership(dataset, 'vol-x')
        .then(() => undefined)
        .catch((e: unknown) => e);
      expect(forgedOwnership).toBeUndefined(); // B may register for itself...
      const forgedWatch = await (await client(cluster.node(b), a))
        .watchCluster({ waitMs: 0 })
        .then((u) => u.node_uuid)
        .catch((e: unknown) => e);
      expect(forgedWatch).toBe(b); // ...and a node_uuid a TLS client gives is not sent: the certificate decides.

      // A node certificate cannot use the REST API; a user certificate cannot speak for a node.
      expect(await nodeA.createDataset({ primary: a }).catch((e: unknown) => e)).toMatchObject({
        status: 403,
      });
      expect(
        await user.reportNodeState({ instance_id: 'i-u', datasets: [] }).catch((e: unknown) => e),
      ).toMatchObject({
        status: 403,
      });
      expect(service.datasets()).toEqual([]);

      const created = await user.createDataset({ primary: b });
      expect((await nodeB.watchCluster({ waitMs: 0 })).datasets).toEqual([created]);
      expect((await user.nodes()).map((n) => n.uuid).sort()).toEqual([a, b].sort());
    } finally {
      for (const c of clients) c.close();
      await server.close();
    }
  });

  it("no client certificate, another CA's, an expired one, plain HTTP: refused at the handshake, nothing changed", async () => {
    const cluster = await makeCluster();
    const other = await makeCluster();
    const service = await ControlService.open({ store: memoryStore(), clusterId: cluster.clusterId });
    const server = await startControlServer({
      service,
      credentials: cluster.control,
      ports: [0],
      host: '127.0.0.1',
    });
    const node = randomUUID();
    const nodeClient = new ControlClient({ url: server.url, credentials: await cluster.node(node) });
    const clients = [nodeClient];
    try {
      await nodeClient.reportNodeState({ instance_id: 'i-1', datasets: [] });
      const alice = await cluster.user('alice');
      const attempts: Record<string, ClusterCredentials | undefined> = {
        // Each trusts this cluster's CA, so only the server's refusal can stop it.
        'no certificate': undefined,
        "another CA's": { ...(await other.user('alice')), ca: alice.ca, identity: alice.identity },
        'an expired one': await cluster.user('bob', { validity: expiredValidity() }),
      };
      for (const [what, credentials] of Object.entries(attempts)) {
        const client =
          credentials === undefined
            ? new ControlClient({ url: server.url, credentials: { ...alice, certificate: '', key: '' } })
            : new ControlClient({ url: server.url, credentials });
        clients.push(client);
        const error = await client.createDataset({ primary: node }).catch((e: unknown) => e);
        expect(error, what).toMatchObject({ code: 'CONTROL_UNREACHABLE' });
      }
      const plain = await fetch(`${server.url.replace('https:', 'http:')}/v1/configuration/datasets`, {
        method: 'POST',
        body: JSON.stringify({ primary: node }),
      }).then(
        (r) => r.status,
        () => 'refused',
      );
      expect(plain).toBe('refused');
      expect(service.datasets()).toEqual([]);
      expect(service.nodes().map((n) => n.uuid)).toEqual([node]);
    } finally {
      for (const c of clients) c.close();
      await server.close();
    }
  });
});
