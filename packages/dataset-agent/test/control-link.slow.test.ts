// Agents that follow a control service: a control service in-process (mutual TLS, port 0), two real agents on
// the loopback backend started as `flocker-dataset-agent --config agent.yml` with their node certificates beside
// agent.yml; a dataset created through the REST API shows up mounted in /v1/state/datasets, and moves with its
// data when its primary changes.
import { type ChildProcess, spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type CertificateAndKey,
  type ClusterCredentials,
  createAuthority,
  identityFromSubject,
  issueApiCertificate,
  issueControlCertificate,
  issueNodeCertificate,
  writeCertificateFiles,
} from '@flockerjs/cluster-ca';
import {
  ControlClient,
  ControlService,
  memoryStore,
  type RunningControlServer,
  startControlServer,
} from '@flockerjs/control-service';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  CLI,
  collect,
  eventually,
  killGroup,
  MIB,
  makeWorld,
  readChecksum,
  skipUnlessRoot,
  type World,
  writeData,
} from './world.js';

describe.skipIf(skipUnlessRoot)('flocker-dataset-agent following a control service', () => {
  let world: World;
  let server: RunningControlServer | undefined;
  const agents: ChildProcess[] = [];
  const clients: ControlClient[] = [];

  beforeEach(async () => {
    world = await makeWorld('agent-control-');
  }, 60_000);
  afterEach(async () => {
    for (const agent of agents) killGroup(agent);
    for (const client of clients) client.close();
    await server?.close();
    await world.cleanup();
  }, 60_000);

  it('creates, moves (with its data) and deletes a dataset through the REST API', async () => {
    const authority = await createAuthority('agent-test');
    const credentialsOf = (pair: CertificateAndKey): ClusterCredentials => {
      const subject = new X509Certificate(pair.certificate).subject.split('\n');
      const field = (name: string) => subject.find((l) => l.startsWith(`${name}=`))?.slice(name.length + 1);
      const identity = identityFromSubject(field('CN'), field('OU'));
      if ('refused' in identity) throw new Error(identity.refused);
      return { ca: authority.certificate, certificate: pair.certificate, key: pair.key, identity };
    };
    const service = await ControlService.open({ store: memoryStore(), clusterId: authority.clusterId });
    server = await startControlServer({
      service,
      credentials: credentialsOf(await issueControlCertificate(authority, '127.0.0.1')),
      ports: [0],
      host: '127.0.0.1',
      log: () => undefined,
    });
    const user = new ControlClient({
      url: server.url,
      credentials: credentialsOf(await issueApiCertificate(authority, 'tester')),
    });
    clients.push(user);

    // Each node: its own directory with agent.yml, node.crt, node.key and cluster.crt, as /etc/flocker.
    const startAgent = async (
      name: string,
    ): Promise<{ nodeId: string; mountRoot: string; child: ChildProcess }> => {
      const dir = join(world.dir, `etc-${name}`);
      await mkdir(dir);
      const node = await issueNodeCertificate(authority);
      await writeCertificateFiles(dir, 'node', node);
      await writeFile(join(dir, 'cluster.crt'), authority.certificate);
      await writeFile(
        join(dir, 'agent.yml'),
        stringify({
          version: 1,
          'control-service': { hostname: '127.0.0.1', port: server?.ports[0] },
          dataset: { backend: 'loopback', root_path: world.root, compute_instance_id: name },
          logging: { level: 'info', file: 'agent.log.jsonl' },
        }),
      );
      const mountRoot = world.mountRoot(name);
      const child = spawn(
        process.execPath,
        [CLI, '--config', join(dir, 'agent.yml'), '--mount-root', mountRoot],
        {
          detached: true,
        },
      );
      agents.push(child);
      return { nodeId: node.nodeUuid, mountRoot, child };
    };
    const a = await startAgent('node-a');
    const b = await startAgent('node-b');
    const exits = [collect(a.child), collect(b.child)];

    const nodes = await user.waitForNodes([a.nodeId, b.nodeId], { timeoutMs: 60_000 });
    expect(nodes.map((n) => n.uuid).sort()).toEqual([a.nodeId, b.nodeId].sort());

    const created = await user.createDataset({ primary: a.nodeId, maximum_size: 64 * MIB });
    const id = created.dataset_id;
    const onA = await user.waitForDataset(id, { mountedOn: a.nodeId }, { timeoutMs: 120_000 });
    expect(onA).toEqual({
      dataset_id: id,
      primary: a.nodeId,
      path: join(a.mountRoot, id),
      maximum_size: 64 * MIB,
    });
    expect(await world.mounts()).toEqual([join(a.mountRoot, id)]);
    const sum = await writeData(
      join(a.mountRoot, id),
      'data.bin',
      'written on A through the control service',
    );

    await user.moveDataset(id, b.nodeId);
    const onB = await user.waitForDataset(id, { mountedOn: b.nodeId }, { timeoutMs: 120_000 });
    expect(onB?.path).toBe(join(b.mountRoot, id));
    expect(await world.mounts()).toEqual([join(b.mountRoot, id)]);
    expect(await readChecksum(join(b.mountRoot, id), 'data.bin')).toBe(sum);

    await user.deleteDataset(id);
    await user.waitForDataset(id, { gone: true }, { timeoutMs: 120_000 });
    await eventually('the volume to be destroyed', async () => (await world.volumes()).length === 0);
    expect(await world.mounts()).toEqual([]);

    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    const [exitA, exitB] = await Promise.all(exits);
    expect(exitA, exitA?.stderr).toMatchObject({ code: 0, signal: null });
    expect(exitB, exitB?.stderr).toMatchObject({ code: 0, signal: null });
  });
});
