import { parseArgs } from 'node:util';
import { DEFAULT_AGENT_PORT, DEFAULT_API_PORT } from '../ports.js';

// Only argument parsing is imported up front: `--help` and bad usage answer without loading fastify, TLS or
// prom-client, which main() imports once the arguments are read.

const USAGE = `Usage:
  flocker-control [--data-path DIR] [--port N] [--agent-port N] [--certificates-directory DIR]
                  [--host ADDRESS] [--node-expiry-seconds S] [--metrics HOST:PORT]
                  [--insecure-development-mode]

Serves Flocker's REST API v1 and the agents' protocol, over mutual TLS under the cluster CA: clients need a
certificate signed by it (user-<name> for the API, node-<uuid> for agents). The same API is served on --port
(default ${DEFAULT_API_PORT}) and --agent-port (default ${DEFAULT_AGENT_PORT}, agent.yml's default port).
  --host ADDRESS                the address to listen on (default 0.0.0.0; :: for IPv6 too)
  --data-path DIR               the configuration file's directory (default /var/lib/flocker)
  --certificates-directory DIR  cluster.crt, control-service.crt, control-service.key (default /etc/flocker)
  --node-expiry-seconds S       a silent agent's node state expires after S seconds (default 120)
  --metrics HOST:PORT           serve Prometheus metrics at http://HOST:PORT/metrics (plain HTTP; port 0 picks
                                a free port, printed at start)
  --insecure-development-mode   plain HTTP, no authentication: for development on one machine only
Exit codes: 0 stopped by SIGTERM or SIGINT, 1 failed, 2 bad usage.
`;

class UsageError extends Error {}

function port(value: string | undefined, fallback: number, option: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new UsageError(`${option}: not a port number: ${value}`);
  return n;
}

async function main(argv: readonly string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      'data-path': { type: 'string', default: '/var/lib/flocker' },
      port: { type: 'string' },
      'agent-port': { type: 'string' },
      host: { type: 'string', default: '0.0.0.0' },
      'certificates-directory': { type: 'string', default: '/etc/flocker' },
      'node-expiry-seconds': { type: 'string' },
      metrics: { type: 'string' },
      'insecure-development-mode': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  const expirySeconds = Number(values['node-expiry-seconds'] ?? 120);
  if (!(expirySeconds > 0)) {
    throw new UsageError(`--node-expiry-seconds: not a positive number: ${values['node-expiry-seconds']}`);
  }
  const ports = [
    port(values.port, DEFAULT_API_PORT, '--port'),
    port(values['agent-port'], DEFAULT_AGENT_PORT, '--agent-port'),
  ];
  const [{ loadCredentials }, { ControlService }, server, { FileConfigurationStore }, endpoints] =
    await Promise.all([
      import('@flockerjs/cluster-ca'),
      import('../control-service.js'),
      import('../server.js'),
      import('../store.js'),
      import('../metrics-endpoint.js'),
    ]);
  let metricsAddress: ReturnType<typeof endpoints.parseListenAddress> | undefined;
  try {
    metricsAddress = values.metrics === undefined ? undefined : endpoints.parseListenAddress(values.metrics);
  } catch (error) {
    throw new UsageError(`--metrics: ${(error as Error).message}`);
  }
  const insecure = values['insecure-development-mode'];
  if (insecure) {
    io.err(
      'flocker-control: WARNING: insecure development mode: plain HTTP, no authentication; anyone who can ' +
        'reach these ports can change the cluster and speak for any node.\n',
    );
  }
  // The certificates are checked (chain, validity, kind, cluster) before anything else happens.
  const credentials = insecure
    ? undefined
    : await loadCredentials(values['certificates-directory'], { kind: 'control' }).catch((error: Error) => {
        throw new Error(
          `${error.message}\n  Make the certificates with flocker-ca, or run with --insecure-development-mode ` +
            'on a development machine.',
          { cause: error },
        );
      });
  const service = await ControlService.open({
    store: new FileConfigurationStore(values['data-path']),
    nodeExpiryMs: expirySeconds * 1000,
    ...(credentials === undefined ? {} : { clusterId: credentials.identity.clusterId }),
  });
  const metrics =
    metricsAddress === undefined
      ? undefined
      : await endpoints.startMetricsEndpoint(metricsAddress).catch(async (error: unknown) => {
          await service.close();
          throw new Error(`--metrics: cannot listen on ${values.metrics}: ${(error as Error).message}`);
        });
  const running = await server
    .startControlServer({
      service,
      credentials,
      ports,
      host: values.host,
      ...(metrics === undefined ? {} : { observeRequest: metrics.observeRequest }),
    })
    .catch(async (error: unknown) => {
      await metrics?.close();
      await service.close();
      throw error;
    });
  if (metrics !== undefined) io.out(`flocker-control: metrics at ${metrics.url}\n`);
  const scheme = insecure ? 'http' : 'https';
  io.out(
    `flocker-control: cluster ${service.clusterId}, listening on ${running.ports
      .map((p) => `${scheme}://${values.host.includes(':') ? `[${values.host}]` : values.host}:${p}`)
      .join(' and ')}\n`,
  );
  await io.stopped;
  await running.close();
  await metrics?.close();
  io.out('flocker-control: stopped\n');
  return 0;
}

/** Where the command writes, and when it is told to stop; injected so tests can run it in-process. */
export interface CommandIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Resolves when the service is to stop (SIGTERM or SIGINT for the installed command). */
  readonly stopped: Promise<void>;
}

/**
 * Runs `flocker-control` with `argv` (without node and the script) until `io.stopped`, and returns its exit
 * status: 0 stopped, 1 failed (certificates, configuration file, ports), 2 bad usage.
 */
export async function flockerControl(argv: readonly string[], io: CommandIo): Promise<number> {
  try {
    return await main(argv, io);
  } catch (error) {
    const usage =
      error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    io.err(`flocker-control: ${(error as Error).message ?? error}\n`);
    if (usage) io.err(USAGE);
    return usage ? 2 : 1;
  }
}
