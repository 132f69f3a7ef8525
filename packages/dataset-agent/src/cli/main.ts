#!/usr/bin/env node
import { createWriteStream } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { AgentConfig, Logger } from '@flockerjs/core-interface';
import type { Faults } from '../agent.js';
import type { ClusterLink } from '../cluster-link.js';

// Only argument parsing is imported up front: `--help` and bad usage answer without loading the drivers' loader,
// TLS, fastify or prom-client, which main() imports once the arguments are read.

const USAGE = `Usage:
  flocker-dataset-agent --config AGENT_YML [--desired FILE] [--mount-root DIR] [--metrics HOST:PORT] [--once]

Converges this node to the datasets it should hold: creates, attaches, formats (only empty devices) and mounts
them at DIR/<dataset_id>; unmounts and detaches those that moved away; destroys deleted ones.
  --config AGENT_YML  the node's agent.yml (its dataset section names the backend)
  --desired FILE      desired state (YAML: datasets: [{dataset_id, primary, maximum_size, metadata, deleted}]),
                      re-read whenever it changes. Without it, the agent follows the control service that
                      agent.yml names (control-service.hostname, port) over mutual TLS, with the node.crt,
                      node.key and cluster.crt beside agent.yml: its node id and cluster id are the certificate's
  --mount-root DIR    where datasets are mounted (default /flocker)
  --metrics HOST:PORT serve Prometheus metrics (driver calls by method and outcome, backend API calls, tries
                      and throttles) at http://HOST:PORT/metrics, plain HTTP; port 0 picks a free port, printed
                      at start
  --once              converge until nothing is left to do, then exit
Exit codes: 0 converged (or stopped by SIGTERM), 1 a change failed or a dataset is left alone, 2 bad usage,
configuration or desired state.
`;

/** The default mount root, as the original. */
const DEFAULT_MOUNT_ROOT = '/flocker';

class UsageError extends Error {}

async function main(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      config: { type: 'string' },
      desired: { type: 'string' },
      'mount-root': { type: 'string', default: DEFAULT_MOUNT_ROOT },
      metrics: { type: 'string' },
      once: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (values.config === undefined) throw new UsageError('--config AGENT_YML is required');
  const [
    { loadCredentials },
    core,
    { DatasetAgent },
    { ControlLink },
    { loadDesiredFile },
    { FileLink },
    { parseListenAddress, startMetricsEndpoint },
  ] = await Promise.all([
    import('@flockerjs/cluster-ca'),
    import('@flockerjs/core-interface'),
    import('../agent.js'),
    import('../control-link.js'),
    import('../desired-file.js'),
    import('../file-link.js'),
    import('@flockerjs/control-service'),
  ]);
  let metricsAddress: ReturnType<typeof parseListenAddress> | undefined;
  try {
    metricsAddress = values.metrics === undefined ? undefined : parseListenAddress(values.metrics);
  } catch (error) {
    throw new UsageError(`--metrics: ${(error as Error).message}`);
  }
  const mountRoot = resolve(values['mount-root']);
  const desiredPath = values.desired === undefined ? undefined : resolve(values.desired);
  const desired = desiredPath === undefined ? undefined : await loadDesiredFile(desiredPath);
  const loaded = await core.loadAgentConfig(values.config);
  if (loaded.errors !== undefined) throw new core.InvalidConfigError(loaded.errors, values.config);
  const logger = agentLogger(core, loaded.config, values.config);
  const configDir = dirname(values.config);
  // Following a control service: the node's certificate names the node and the cluster.
  const credentials = desired === undefined ? await loadCredentials(configDir, { kind: 'node' }) : undefined;
  const clusterId = credentials?.identity.clusterId ?? desired?.clusterId;
  // Drivers installed beside the agent are found too, as the agent's own dependencies.
  const backend = await core.loadBackend(loaded.config.dataset.backend, {
    configDir,
    alsoFrom: [import.meta.url],
  });
  const endpoint =
    metricsAddress === undefined
      ? undefined
      : await startMetricsEndpoint(metricsAddress).catch((error: Error) => {
          throw new Error(`--metrics: cannot listen on ${values.metrics}: ${error.message}`, {
            cause: error,
          });
        });
  if (endpoint !== undefined) process.stdout.write(`metrics: ${endpoint.url}\n`);
  let link: ClusterLink | undefined;
  const stop = new AbortController();
  // SIGTERM lets the running change finish, then the agent exits 0.
  const onTerm = (): void => stop.abort();
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onTerm);
  try {
    const api = await core.createBlockDeviceAPI(backend, loaded.config.dataset, {
      configDir,
      logger,
      ...(clusterId === undefined ? {} : { clusterId }),
      ...(endpoint === undefined ? {} : { metrics: endpoint.metrics }),
    });
    link =
      credentials === undefined
        ? new FileLink(desiredPath as string, {
            nodeId: await api.computeInstanceId(),
            logger,
            ...(clusterId === undefined ? {} : { clusterId }),
          })
        : new ControlLink({ url: controlServiceUrl(loaded.config), credentials, logger });
    const nodeId = link.nodeId;
    const agent = new DatasetAgent({ api, link, mountRoot, logger, faults: faultsFromEnv(process.env) });
    if (!values.once) {
      await agent.run(stop.signal);
      return 0;
    }
    const result = await agent.converge(stop.signal);
    for (const wait of result.last.waits)
      process.stdout.write(`waiting: dataset ${wait.datasetId}: ${wait.reason}\n`);
    for (const { change, error } of result.failed) {
      process.stderr.write(`failed: ${change.kind} of dataset ${change.datasetId}: ${errorText(error)}\n`);
    }
    for (const problem of result.last.problems) {
      process.stderr.write(`left alone: dataset ${problem.datasetId}: ${problem.code}: ${problem.message}\n`);
    }
    if (result.failed.length > 0 || result.last.problems.length > 0) return 1;
    if (result.last.changes.length > 0 && !stop.signal.aborted) {
      process.stderr.write(`not converged after ${result.rounds} rounds\n`);
      return 1;
    }
    process.stdout.write(`converged: node ${nodeId}, ${result.rounds} rounds\n`);
    return 0;
  } finally {
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onTerm);
    await link?.close();
    await endpoint?.close();
  }
}

/** `https://host:port` of the control service agent.yml names. */
function controlServiceUrl(config: AgentConfig): string {
  const { hostname, port } = config['control-service'];
  return `https://${hostname.includes(':') ? `[${hostname}]` : hostname}:${port}`;
}

/** The structured log: agent.yml's `logging` section, or info-level JSON lines on standard error. */
function agentLogger(
  { createLogger, jsonLinesSink, secretValues }: typeof import('@flockerjs/core-interface'),
  config: AgentConfig,
  configPath: string,
): Logger {
  const { logging, dataset } = config;
  const stream =
    logging?.file === undefined
      ? process.stderr
      : createWriteStream(resolve(dirname(configPath), logging.file), { flags: 'a' });
  return createLogger({
    sink: jsonLinesSink(stream),
    level: logging?.level ?? 'info',
    secrets: secretValues(dataset),
  });
}

/**
 * Crash points for tests: `FLOCKER_AGENT_KILL_AFTER_STEP=k` SIGKILLs the agent right after its k-th state change,
 * `FLOCKER_AGENT_KILL_AFTER_CALL=n` right after the n-th driver call or command inside a change.
 */
function faultsFromEnv(env: NodeJS.ProcessEnv): Faults {
  const number = (name: string): number | undefined => {
    const value = env[name];
    if (value === undefined || value === '') return undefined;
    if (!/^[1-9]\d*$/.test(value))
      throw new UsageError(`${name} must be a positive integer, got ${JSON.stringify(value)}`);
    return Number(value);
  };
  const afterStep = number('FLOCKER_AGENT_KILL_AFTER_STEP');
  const afterCall = number('FLOCKER_AGENT_KILL_AFTER_CALL');
  return {
    ...(afterStep === undefined ? {} : { afterStep }),
    ...(afterCall === undefined ? {} : { afterCall }),
  };
}

function errorText(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' ? `${code}: ${message}` : message;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const usage =
      error instanceof UsageError || String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS');
    const config = ['INVALID_CONFIG', 'PLUGIN_LOAD', 'CERTIFICATE', 'INVALID_DESIRED_STATE'].includes(
      String((error as { code?: unknown }).code),
    );
    process.stderr.write(`flocker-dataset-agent: ${errorText(error)}\n${usage ? `\n${USAGE}` : ''}`);
    process.exitCode = usage || config ? 2 : 1;
  },
);
