import { parseArgs } from 'node:util';
import { isSuite, SUITES } from '../certification/settings.js';
import { UsageError } from './usage-error.js';

// The commands are imported once the arguments are read: `--help` and bad usage load neither vitest nor a driver.

const USAGE = `Usage:
  flocker-certify [--config PATH] [--peer-config PATH] [--report-dir DIR] [--only conformance|acceptance|cluster]
                  [--grep PATTERN] [--timeout SECONDS] [--cluster-id ID] [--json]
  flocker-certify sweep --config PATH [--cluster-id ID] [--dry-run] [--force]
  flocker-certify logs [FILE]

Certifies the backend an agent.yml names: the conformance suite, then acceptance (data moved between two
nodes; node B is --peer-config's agent.yml where the backend cannot describe it). Without --config, the
loopback backend in a fresh temporary root (needs root and the @flockerjs/driver-loopback package).
Exit codes: 0 certified, 1 a test failed, 2 bad usage or configuration, 130 interrupted.
`;

async function main(argv: readonly string[]): Promise<number> {
  const [command] = argv;
  if (command === 'sweep') {
    const { values } = parseArgs({
      args: argv.slice(1),
      options: {
        config: { type: 'string' },
        'cluster-id': { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        force: { type: 'boolean', default: false },
      },
    });
    if (values.config === undefined) throw new UsageError('sweep: --config PATH is required');
    const { sweep } = await import('./sweep-command.js');
    return sweep({
      config: values.config,
      clusterId: values['cluster-id'],
      dryRun: values['dry-run'],
      force: values.force,
    });
  }
  if (command === 'logs') {
    const { positionals } = parseArgs({ args: argv.slice(1), allowPositionals: true });
    if (positionals.length > 1) throw new UsageError('logs: give at most one FILE');
    const { logs } = await import('./logs-command.js');
    return logs(positionals[0] ?? 'certification/run.log.jsonl');
  }
  const { values } = parseArgs({
    // `--timeout -3` would otherwise be read as a missing value; the value check below names it.
    args: argv.map((arg, index) =>
      argv[index - 1] === '--timeout' && arg.startsWith('-') ? ` ${arg}` : arg,
    ),
    options: {
      config: { type: 'string' },
      'peer-config': { type: 'string' },
      'report-dir': { type: 'string', default: 'certification' },
      only: { type: 'string' },
      grep: { type: 'string' },
      timeout: { type: 'string' },
      'cluster-id': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const only = values.only;
  if (only !== undefined && !isSuite(only)) {
    throw new UsageError(`--only: expected ${SUITES.join(', ')}, got ${JSON.stringify(only)}`);
  }
  const timeout = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0)) {
    throw new UsageError(
      `--timeout: expected a positive number of seconds, got ${JSON.stringify(values.timeout)}`,
    );
  }
  const { certify } = await import('./certify-command.js');
  return certify({
    config: values.config,
    peerConfig: values['peer-config'],
    reportDir: values['report-dir'],
    only,
    grep: values.grep,
    timeoutSeconds: timeout,
    clusterId: values['cluster-id'],
    json: values.json,
  });
}

/**
 * Runs `flocker-certify` with `argv` (the arguments after the command name) and resolves its exit code. Errors
 * are reported on `stderr`: the message, and the usage text after bad arguments.
 */
export async function runProgram(
  argv: readonly string[],
  stderr: { write(text: string): unknown } = process.stderr,
): Promise<number> {
  try {
    return await main(argv);
  } catch (error) {
    // parseArgs reports unknown or malformed options with this code.
    const parseError = (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true;
    const usage = error instanceof UsageError || parseError;
    stderr.write(`flocker-certify: ${(error as Error).message}\n`);
    if (parseError || (error instanceof UsageError && error.showUsage)) stderr.write(`\n${USAGE}`);
    return usage ? 2 : 1;
  }
}
