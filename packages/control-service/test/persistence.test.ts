// The configuration on disk: one versioned file replaced atomically, loaded at start; a file from a newer version
// refused; nothing acknowledged is ever lost, even to SIGKILL in the middle of a burst of writes.
import { randomUUID } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeCertificateFiles } from '@flockerjs/cluster-ca';
import { describe, expect, it } from 'vitest';
import {
  CONFIGURATION_FILE,
  type Configuration,
  ControlApiError,
  ControlClient,
  ControlService,
  emptyConfiguration,
  FileConfigurationStore,
  parseConfigurationFile,
} from '../src/index.js';
import { runControl, startControlProcess } from './cli.js';
import { makeCluster, reportNode, scratch, startTestControl } from './helpers.js';

describe('FileConfigurationStore', () => {
  it('saves and loads the configuration, leaving no temporary file', async () => {
    const dir = await scratch();
    const store = new FileConfigurationStore(join(dir, 'data'));
    expect(await store.load()).toBeUndefined();
    const configuration: Configuration = { ...emptyConfiguration(randomUUID()), nodes: [randomUUID()] };
    await store.save(configuration);
    expect(await store.load()).toEqual(configuration);
    expect(await readdir(join(dir, 'data'))).toEqual([CONFIGURATION_FILE]);
  });

  it('removes the temporary file a crashed save left, and keeps the saved configuration', async () => {
    const dir = await scratch();
    const store = new FileConfigurationStore(dir);
    const configuration = emptyConfiguration(randomUUID());
    await store.save(configuration);
    await writeFile(join(dir, `${CONFIGURATION_FILE}.tmp-abc123`), '{"version": 1, "clus');
    expect(await store.load()).toEqual(configuration);
    expect(await readdir(dir)).toEqual([CONFIGURATION_FILE]);
  });

  it('refuses a file written by a newer version, saying so', async () => {
    const dir = await scratch();
    await writeFile(join(dir, CONFIGURATION_FILE), JSON.stringify({ version: 2, whatever: true }));
    await expect(new FileConfigurationStore(dir).load()).rejects.toThrow(
      /format version 2 by a newer flocker-control; this one reads up to version 1/,
    );
  });

  it.each([
    ['not JSON', '{"version": 1,', /is not valid JSON/],
    ['without a version', '{"datasets": {}}', /has no valid format version/],
    [
      'with a damaged key',
      JSON.stringify({ ...emptyConfiguration('c'), nodes: 'x' }),
      /is damaged:\n {2}nodes:/,
    ],
  ])('refuses a file %s, naming what is wrong', (_what, text, message) => {
    expect(() => parseConfigurationFile('/data/configuration.json', text)).toThrow(message);
  });
});

describe('ControlService persistence', () => {
  it('a restarted service has every dataset, lease, registration and known node', async () => {
    const dir = await scratch();
    const store = new FileConfigurationStore(dir);
    const control = await startTestControl({ store });
    const node = await reportNode(control);
    const { dataset_id: id } = await control.client.createDataset({ primary: node, metadata: { a: 'b' } });
    const { dataset_id: grown } = await control.client.createDataset({
      primary: node,
      maximum_size: 1 << 26,
    });
    await control.client.resizeDataset(grown, 1 << 27);
    await control.client.acquireLease({ dataset_id: id, node_uuid: node, expires: null });
    await control.agent(node).recordOwnership(id, 'vol-1');
    const { datasets, tag } = await control.client.listDatasets();
    await control.server.close();

    const again = await ControlService.open({ store: new FileConfigurationStore(dir) });
    try {
      expect(again.clusterId).toBe(control.service.clusterId);
      expect(again.datasets()).toEqual(datasets);
      expect(again.datasets()).toContainEqual(
        expect.objectContaining({ dataset_id: grown, maximum_size: 1 << 27 }),
      );
      expect(again.configurationTag()).toBe(tag);
      expect(again.leases()).toEqual([{ dataset_id: id, node_uuid: node, expires: null }]);
      expect((await again.watch(node, undefined, 0)).ownership).toEqual({ [id]: 'vol-1' });
      // The node is still known (a possible primary) before its agent reports again.
      expect(await again.createDataset({ primary: node })).toMatchObject({ primary: node });
    } finally {
      await again.close();
    }
  });

  it('a failed save is not acknowledged and leaves nothing behind in memory', async () => {
    const saved: Configuration[] = [];
    let fail = false;
    const control = await startTestControl({
      store: {
        load: async () => saved.at(-1),
        save: async (configuration) => {
          if (fail) throw new Error('disk full');
          saved.push(configuration);
        },
      },
    });
    const node = await reportNode(control);
    fail = true;
    const error = await control.client.createDataset({ primary: node }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ControlApiError);
    expect(error).toMatchObject({ status: 500, code: 'INTERNAL' });
    expect(control.logs).toEqual([
      expect.stringMatching(/incident .* on POST \/v1\/configuration\/datasets: Error: disk full/),
    ]);
    fail = false;
    expect(control.service.datasets()).toEqual([]);
    // The dataset that was refused did not stay behind to collide with a retry.
    const id = randomUUID();
    fail = true;
    await control.client.createDataset({ primary: node, dataset_id: id }).catch(() => undefined);
    fail = false;
    expect(await control.client.createDataset({ primary: node, dataset_id: id })).toMatchObject({
      dataset_id: id,
    });
  });

  it('a cluster certificate of another cluster than the saved configuration is refused', async () => {
    const dir = await scratch();
    await new FileConfigurationStore(dir).save(emptyConfiguration(randomUUID()));
    await expect(
      ControlService.open({ store: new FileConfigurationStore(dir), clusterId: randomUUID() }),
    ).rejects.toThrow(/belongs to cluster .* not to this certificate's cluster/);
  });
});

// Two processes and 200 requests: the bound is sized for a machine that other test suites load heavily.
describe('flocker-control under SIGKILL', () => {
  it('keeps every acknowledged change of a burst of 200 concurrent creates, and the file parses', async () => {
    const dir = await scratch();
    const args = ['--data-path', dir, '--insecure-development-mode'];
    const first = await startControlProcess(args);
    const node = randomUUID();
    const agent = new ControlClient({ url: first.url, nodeUuid: node });
    await agent.reportNodeState({ instance_id: 'i-1', datasets: [] });
    agent.close();

    const client = new ControlClient({ url: first.url });
    const acknowledged: string[] = [];
    const ids = Array.from({ length: 200 }, () => randomUUID());
    // The kill lands while the burst is in flight: as soon as the first creates are acknowledged.
    const results = await Promise.allSettled(
      ids.map(async (id) => {
        await client.createDataset({ primary: node, dataset_id: id });
        acknowledged.push(id);
        if (acknowledged.length === 5) first.child.kill('SIGKILL');
      }),
    );
    client.close();
    expect(await first.exited).toBe('SIGKILL');
    const refused = results.filter((r) => r.status === 'rejected');
    expect(acknowledged.length + refused.length).toBe(200);
    expect(acknowledged.length).toBeGreaterThanOrEqual(5);

    const text = await readFile(join(dir, CONFIGURATION_FILE), 'utf8');
    const onDisk = parseConfigurationFile(join(dir, CONFIGURATION_FILE), text);
    expect(Object.keys(onDisk.datasets)).toEqual(expect.arrayContaining(acknowledged));

    const second = await startControlProcess(args);
    const after = new ControlClient({ url: second.url });
    try {
      const { datasets } = await after.listDatasets();
      expect(datasets.map((d) => d.dataset_id)).toEqual(expect.arrayContaining(acknowledged));
      // Nothing that was never asked for appears.
      expect(ids).toEqual(expect.arrayContaining(datasets.map((d) => d.dataset_id)));
    } finally {
      after.close();
    }
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });
});

describe('flocker-control', () => {
  it('stops cleanly on SIGTERM (exit 0), after warning about insecure development mode', async () => {
    const dir = await scratch();
    const control = await startControlProcess(['--data-path', dir, '--insecure-development-mode']);
    const client = new ControlClient({ url: control.url });
    expect(await client.version()).toMatch(/^\d/);
    client.close();
    control.child.kill('SIGTERM');
    expect(await control.exited).toBe(0);
    expect(control.output().stderr).toContain('WARNING: insecure development mode');
    expect(control.output().stdout).toContain('flocker-control: stopped');
  });

  it('serves over mutual TLS by default, from the certificates directory; plain HTTP is refused', async () => {
    const cluster = await makeCluster();
    const certificates = await scratch();
    await writeCertificateFiles(certificates, 'cluster', cluster.authority);
    await writeCertificateFiles(certificates, 'control-service', {
      certificate: cluster.control.certificate,
      key: cluster.control.key,
    });
    const control = await startControlProcess([
      '--data-path',
      await scratch(),
      '--certificates-directory',
      certificates,
    ]);
    expect(control.url).toMatch(/^https:/);
    expect(control.output().stdout).toContain(`cluster ${cluster.clusterId}`);
    const user = new ControlClient({ url: control.url, credentials: await cluster.user('alice') });
    try {
      expect(await user.version()).toMatch(/^\d/);
      const plain = await fetch(`http://127.0.0.1:${control.port}/v1/version`).then(
        (r) => r.status,
        (e: Error) => e.message,
      );
      expect(plain).toBe('fetch failed');
      expect(await user.nodes()).toEqual([]);
    } finally {
      user.close();
    }
    control.child.kill('SIGTERM');
    expect(await control.exited).toBe(0);
    expect(control.output().stderr).not.toContain('WARNING');
  });

  it('refuses to start without certificates, naming the file and the development flag (exit 1)', async () => {
    const dir = await scratch();
    const result = await runControl([
      '--data-path',
      dir,
      '--certificates-directory',
      join(dir, 'none'),
      '--port',
      '0',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(join(dir, 'none', 'cluster.crt'));
    expect(result.stderr).toContain('--insecure-development-mode');
  });

  it('refuses a configuration file from a newer version (exit 1) and leaves it as it was', async () => {
    const dir = await scratch();
    const text = JSON.stringify({ version: 7 });
    await writeFile(join(dir, CONFIGURATION_FILE), text);
    const result = await runControl(['--data-path', dir, '--insecure-development-mode', '--port', '0']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('format version 7 by a newer flocker-control');
    expect(await readFile(join(dir, CONFIGURATION_FILE), 'utf8')).toBe(text);
  });

  it('refuses a bad port with usage (exit 2)', async () => {
    const result = await runControl(['--port', 'http']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--port: not a port number: http');
  });
});
