// ControlLink against a real control service over mutual TLS, without block devices: what the agent learns,
// what it reports, first-writer-wins registration, wake-ups, and a control service that restarts.
import { randomUUID, X509Certificate } from 'node:crypto';
import {
  type CertificateAndKey,
  type ClusterAuthority,
  type ClusterCredentials,
  createAuthority,
  identityFromSubject,
  issueApiCertificate,
  issueControlCertificate,
  issueNodeCertificate,
} from '@flockerjs/cluster-ca';
import {
  type ConfigurationStore,
  ControlClient,
  ControlService,
  memoryStore,
  type RunningControlServer,
  startControlServer,
} from '@flockerjs/control-service';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlLink } from '../src/index.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}, 60_000);

function credentialsOf(authority: ClusterAuthority, pair: CertificateAndKey): ClusterCredentials {
  const subject = new X509Certificate(pair.certificate).subject.split('\n');
  const field = (name: string) => subject.find((l) => l.startsWith(`${name}=`))?.slice(name.length + 1);
  const identity = identityFromSubject(field('CN'), field('OU'));
  if ('refused' in identity) throw new Error(identity.refused);
  return { ca: authority.certificate, certificate: pair.certificate, key: pair.key, identity };
}

async function cluster(): Promise<{
  clusterId: string;
  start(port?: number): Promise<RunningControlServer>;
  user: ControlClient;
  link(): Promise<ControlLink>;
  stop(): Promise<void>;
}> {
  const authority = await createAuthority('link-test');
  const control = credentialsOf(authority, await issueControlCertificate(authority, '127.0.0.1'));
  const store: ConfigurationStore = memoryStore();
  let server: RunningControlServer | undefined;
  const start = async (port = 0): Promise<RunningControlServer> => {
    const service = await ControlService.open({ store, clusterId: authority.clusterId });
    server = await startControlServer({ service, credentials: control, ports: [port], host: '127.0.0.1' });
    return server;
  };
  const first = await start();
  const user = new ControlClient({
    url: first.url,
    credentials: credentialsOf(authority, await issueApiCertificate(authority, 'tester')),
  });
  const stop = async (): Promise<void> => {
    await server?.close();
    server = undefined;
  };
  cleanups.push(stop, () => user.close());
  return {
    clusterId: authority.clusterId,
    start,
    user,
    stop,
    link: async () => {
      const link = new ControlLink({
        url: first.url,
        credentials: credentialsOf(authority, await issueNodeCertificate(authority)),
        era: randomUUID(),
      });
      cleanups.push(() => link.close());
      return link;
    },
  };
}

// Bounds sized for a loaded machine: each test starts TLS servers and issues certificates.
describe('ControlLink', () => {
  it('learns every dataset, its own leases and the ownership registry; reports what the REST API shows', async () => {
    const { user, link: makeLink, clusterId } = await cluster();
    const link = await makeLink();
    const other = await makeLink();
    expect(link.clusterId).toBe(clusterId);
    await link.report({ nodeId: link.nodeId, instanceId: 'i-a', datasets: [] });
    await other.report({ nodeId: other.nodeId, instanceId: 'i-b', datasets: [] });
    const mine = await user.createDataset({ primary: link.nodeId, metadata: { name: 'db' } });
    const theirs = await user.createDataset({ primary: other.nodeId, maximum_size: 64 * 1024 * 1024 });
    await user.acquireLease({ dataset_id: mine.dataset_id, node_uuid: link.nodeId, expires: null });
    await user.acquireLease({ dataset_id: theirs.dataset_id, node_uuid: other.nodeId, expires: null });
    expect(await link.registerVolume?.(mine.dataset_id, 'vol-1')).toBe('vol-1');
    expect(await other.registerVolume?.(mine.dataset_id, 'vol-2')).toBe('vol-1');

    const configuration = await link.configuration();
    expect(configuration.datasets).toEqual(
      expect.arrayContaining([
        {
          datasetId: mine.dataset_id,
          primary: link.nodeId,
          maximumSize: null,
          metadata: { name: 'db' },
          deleted: false,
        },
        {
          datasetId: theirs.dataset_id,
          primary: other.nodeId,
          maximumSize: 64 * 1024 * 1024,
          metadata: {},
          deleted: false,
        },
      ]),
    );
    expect(configuration.leases).toEqual([{ datasetId: mine.dataset_id, expiresAt: null }]);
    expect(configuration.ownership).toEqual(new Map([[mine.dataset_id, 'vol-1']]));

    const base = { devicePath: '/dev/loop9', size: 64 * 1024 * 1024 };
    await link.report({
      nodeId: link.nodeId,
      instanceId: 'i-a',
      datasets: [
        {
          ...base,
          datasetId: mine.dataset_id,
          state: 'MOUNTED',
          blockDeviceId: 'vol-1',
          mountPath: `/flocker/${mine.dataset_id}`,
        },
        {
          ...base,
          datasetId: theirs.dataset_id,
          state: 'ATTACHED_ELSEWHERE',
          blockDeviceId: 'vol-3',
          mountPath: null,
        },
        {
          ...base,
          datasetId: randomUUID(),
          state: 'NON_EXISTENT',
          blockDeviceId: null,
          mountPath: null,
          size: null,
        },
      ],
    });
    expect(await user.datasetStates()).toEqual([
      {
        dataset_id: mine.dataset_id,
        primary: link.nodeId,
        path: `/flocker/${mine.dataset_id}`,
        maximum_size: base.size,
      },
    ]);
  });

  it('reports whether its backend resizes: the control service refuses to grow a dataset where it cannot', async () => {
    const { user, link: makeLink } = await cluster();
    const fixed = await makeLink();
    const growing = await makeLink();
    await fixed.report({ nodeId: fixed.nodeId, instanceId: 'i-a', canResize: false, datasets: [] });
    await growing.report({ nodeId: growing.nodeId, instanceId: 'i-b', canResize: true, datasets: [] });
    const size = 64 * 1024 * 1024;
    const onFixed = await user.createDataset({ primary: fixed.nodeId, maximum_size: size });
    const onGrowing = await user.createDataset({ primary: growing.nodeId, maximum_size: size });
    await expect(user.resizeDataset(onFixed.dataset_id, 2 * size)).rejects.toMatchObject({
      status: 409,
      code: 'RESIZE_UNSUPPORTED',
    });
    expect(await user.resizeDataset(onGrowing.dataset_id, 2 * size)).toMatchObject({
      maximum_size: 2 * size,
    });
    const grown = (await fixed.configuration()).datasets.map((d) => [d.datasetId, d.maximumSize] as const);
    expect(new Map(grown)).toEqual(
      new Map([
        [onFixed.dataset_id, size],
        [onGrowing.dataset_id, 2 * size],
      ]),
    );
  });

  it('changed() resolves when the configuration changes, and on close', async () => {
    const { user, link: makeLink } = await cluster();
    const link = await makeLink();
    await link.report({ nodeId: link.nodeId, instanceId: 'i-a', datasets: [] });
    await link.configuration();
    const stop = new AbortController();
    const woken = link.changed(stop.signal);
    await user.createDataset({ primary: link.nodeId });
    await woken;
    expect((await link.configuration()).datasets).toHaveLength(1);
    const pending = link.changed(stop.signal);
    await link.close();
    await pending;
  });

  it('fails rounds while the control service is down, and picks up again when it is back', async () => {
    const c = await cluster();
    const link = await c.link();
    await link.report({ nodeId: link.nodeId, instanceId: 'i-a', datasets: [] });
    await c.user.createDataset({ primary: link.nodeId });
    await link.configuration();
    const port = Number(new URL(c.user.url).port);
    await c.stop();
    await expect(link.configuration()).rejects.toMatchObject({ code: 'CONTROL_UNREACHABLE' });
    await c.start(port);
    // The restarted service has a new version: the link's watch reconnects and wakes the agent.
    await link.changed(new AbortController().signal);
    expect((await link.configuration()).datasets).toHaveLength(1);
    await link.report({ nodeId: link.nodeId, instanceId: 'i-a', datasets: [] });
    expect((await c.user.nodes()).map((n) => n.uuid)).toEqual([link.nodeId]);
  });
});
