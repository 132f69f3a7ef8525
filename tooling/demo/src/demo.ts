import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  AGENT_PACKAGE,
  datasetSection,
  findBin,
  type LocalCluster,
  startLocalCluster,
  teardownCluster,
} from '@flockerjs/conformance';
import { instantiateBackend, loadAgentBackend } from '@flockerjs/core-interface';
import { ensurePostgres, initDatabase, startPostgres } from './postgres.js';

/**
 * `npm run demo`: Flocker's PostgreSQL demo, for real. A database lives on a flockerjs dataset mounted by node A's
 * agent; the dataset moves to node B through the control service's REST API; the rows are read back on B.
 */
const USAGE = `Usage: npm run demo [-- --config A.yml --peer-config B.yml] [--rows N] [--size BYTES]
Without --config, both nodes are loopback nodes over one scratch root.`;

const GiB = 1024 ** 3;
const WAIT_MS = 300_000;

const started = performance.now();
function step(line: string): void {
  const seconds = ((performance.now() - started) / 1000).toFixed(2).padStart(7);
  console.log(`[${seconds} s] ${line}`);
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await fn();
  return [value, performance.now() - t0];
}

const CHECKSUM_SQL = `SELECT count(*) || ' ' || md5(string_agg(id || ':' || payload, ',' ORDER BY id)) FROM demo_rows`;

async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      config: { type: 'string' },
      'peer-config': { type: 'string' },
      rows: { type: 'string', default: '10000' },
      size: { type: 'string', default: String(GiB) },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const rows = Number(values.rows);
  const size = Number(values.size);
  if (!Number.isSafeInteger(rows) || rows < 1)
    throw new Error(`--rows: expected a positive whole number, got ${values.rows}`);
  if (!Number.isSafeInteger(size) || size < 64 * 1024 ** 2)
    throw new Error(`--size: expected bytes, at least 64 MiB, got ${values.size}`);
  if ((values.config === undefined) !== (values['peer-config'] === undefined)) {
    throw new Error('--config and --peer-config go together: node A and node B each need their agent.yml');
  }

  const bin = await ensurePostgres(step);
  step(`PostgreSQL: ${bin}`);
  const scratch = await mkdtemp(join(tmpdir(), 'flockerjs-demo-'));
  // The server runs as its own user, which must reach the data directory under the mount roots.
  await chmod(scratch, 0o755);
  const datasets =
    values.config === undefined
      ? {
          a: { backend: 'loopback', root_path: join(scratch, 'loopback'), compute_instance_id: 'node-a' },
          b: { backend: 'loopback', root_path: join(scratch, 'loopback'), compute_instance_id: 'node-b' },
        }
      : {
          a: await datasetSection(resolve(values.config)),
          b: await datasetSection(resolve(values['peer-config'] ?? '')),
        };
  let cluster: LocalCluster | undefined;
  try {
    cluster = await startLocalCluster({ scratchDir: scratch, datasets, log: step });
    const { client, nodes } = cluster;

    const datasetId = randomUUID();
    await client.createDataset({
      primary: nodes.a.uuid,
      dataset_id: datasetId,
      maximum_size: size,
      metadata: { name: 'postgres' },
    });
    step(`POST /v1/configuration/datasets: dataset ${datasetId} (${size / GiB} GiB) on node A`);
    const onA = await client.waitForDataset(datasetId, { mountedOn: nodes.a.uuid }, { timeoutMs: WAIT_MS });
    const pathA = onA?.path ?? '';
    step(`node A's agent created, attached, formatted and mounted it at ${pathA}`);

    await letServerIn(nodes.a.mountRoot);
    await initDatabase(bin, join(pathA, 'pgdata'));
    let server = await startPostgres(bin, join(pathA, 'pgdata'), join(scratch, 'socket-a'));
    step('PostgreSQL started on node A with its data directory on the dataset');
    await server.query('CREATE TABLE demo_rows (id integer PRIMARY KEY, payload text NOT NULL)');
    await server.query(`INSERT INTO demo_rows SELECT i, md5(i::text) FROM generate_series(1, ${rows}) AS i`);
    const written = await server.query(CHECKSUM_SQL);
    await server.stop();
    step(`wrote ${rows} rows (count and checksum: ${written}); PostgreSQL stopped on node A`);

    const [onB, moveMs] = await timed(async () => {
      await client.moveDataset(datasetId, nodes.b.uuid);
      // Polled every 50 ms, so that the figure below is the move's time, not the poll's back-off.
      return client.waitForDataset(
        datasetId,
        { mountedOn: nodes.b.uuid },
        { timeoutMs: WAIT_MS, maxIntervalMs: 50 },
      );
    });
    const pathB = onB?.path ?? '';
    step(
      `moved to node B through the REST API: mounted at ${pathB} ${(moveMs / 1000).toFixed(2)} s after the request`,
    );

    await letServerIn(nodes.b.mountRoot);
    server = await startPostgres(bin, join(pathB, 'pgdata'), join(scratch, 'socket-b'));
    const read = await server.query(CHECKSUM_SQL);
    await server.stop();
    step(`PostgreSQL on node B reads ${read}`);
    if (read !== written) throw new Error(`node B read "${read}", node A wrote "${written}"`);

    await client.deleteDataset(datasetId);
    await client.waitForDataset(datasetId, { gone: true }, { timeoutMs: WAIT_MS });
    step('DELETE /v1/configuration/datasets: unmounted, detached and destroyed');
    await cluster.stop();
    cluster = undefined;

    const driverMs = await driverMoveTime(scratch, datasets, size);
    step(
      `move to data readable on B took ${(moveMs / driverMs).toFixed(2)}x the driver's own detach + attach (${driverMs.toFixed(0)} ms)`,
    );
    const readRows = Number(read.split(' ')[0]);
    console.log(`demo: ${rows} rows written on node A, ${readRows} rows read on node B`);
  } finally {
    // Every step even when one fails (the suite's own teardown): no agent, mount, loop device or file is left.
    await teardownCluster({ cluster, scratchDir: scratch, timeoutMs: WAIT_MS });
  }
}

/**
 * The agent keeps its mount root 0700, so that only root reaches the datasets (as Flocker did); PostgreSQL runs
 * as its own user, which may pass through it (0711: no listing) to its data directory.
 */
async function letServerIn(mountRoot: string): Promise<void> {
  await chmod(mountRoot, 0o711);
}

/** The driver's own detach from A plus attach on B, for a volume of the same size, with no agent running. */
async function driverMoveTime(
  scratch: string,
  datasets: { a: Record<string, unknown>; b: Record<string, unknown> },
  size: number,
): Promise<number> {
  const { writeFile } = await import('node:fs/promises');
  const { stringify } = await import('yaml');
  // One cluster id for both nodes: they share the volume, as the agents of one cluster do.
  const clusterId = randomUUID();
  const open = async (name: 'a' | 'b') => {
    const path = join(scratch, `driver-${name}.yml`);
    await writeFile(
      path,
      stringify({ version: 1, 'control-service': { hostname: '127.0.0.1' }, dataset: datasets[name] }),
    );
    // The backend as the agents load it: resolved from beside flocker-dataset-agent too, where drivers that
    // are not installed beside the demo (the EBS and Cinder ones, say) are.
    const agent = findBin(AGENT_PACKAGE, 'flocker-dataset-agent');
    const loaded = await loadAgentBackend(
      path,
      agent === undefined ? {} : { alsoFrom: [pathToFileURL(agent).href] },
    );
    return instantiateBackend(loaded.backend, loaded.backendConfig, {
      clusterId,
      configDir: loaded.configDir,
    });
  };
  const [a, b] = [await open('a'), await open('b')];
  const volume = await a.createVolume(randomUUID(), size);
  try {
    await a.attachVolume(volume.blockDeviceId, await a.computeInstanceId());
    const [, ms] = await timed(async () => {
      await a.detachVolume(volume.blockDeviceId);
      await b.attachVolume(volume.blockDeviceId, await b.computeInstanceId());
    });
    await b.detachVolume(volume.blockDeviceId);
    return ms;
  } finally {
    await a.destroyVolume(volume.blockDeviceId).catch(() => undefined);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`demo: ${(error as Error).message}`);
  process.exitCode = 1;
});
