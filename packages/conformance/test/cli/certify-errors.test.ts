// Usage and configuration errors of flocker-certify: exit 2 and a message naming what is wrong, before any
// test runs. They run in-process through the command's own entry point; only the cases that must be another
// user spawn the built command.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProgram } from '../../src/cli/program.js';
import { agentYml, makeWorld, runCli, WORKSPACE } from './certify-world.js';

const isRoot = process.getuid?.() === 0;
/** Spawning the built command (a Node start, module loading) takes seconds on a loaded machine. */
const SPAWN_TIMEOUT_MS = 60_000;

let world: Awaited<ReturnType<typeof makeWorld>>;
/** Where the runs write: open to every user, since some run as `nobody`. */
let dir: string;

beforeAll(async () => {
  world = await makeWorld();
  dir = await mkdtemp(join(tmpdir(), 'flockerjs-certify-errors-'));
  await chmod(dir, 0o777);
});
afterAll(async () => {
  await world.remove();
  await rm(dir, { recursive: true, force: true });
});

/** Runs the command in this process; resolves its exit code and what it wrote to standard error. */
async function certifyHere(args: readonly string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const code = await runProgram(args, { write: (text: string) => (stderr += text) });
  return { code, stderr };
}

/**
 * Runs the command as a user who is not root: this process itself when it is one, else the built command as
 * `nobody`.
 */
async function certifyAsNonRoot(
  args: readonly string[],
): Promise<{ code: number | null; stderr: string; stdout: string }> {
  if (!isRoot) return { ...(await certifyHere(args)), stdout: '' };
  return runCli(args, { cwd: WORKSPACE, asNobody: { scratch: dir } });
}

describe('flocker-certify usage and configuration errors: exit 2, naming what is wrong', () => {
  it.each([
    [
      'a missing control-service host name',
      'control-service.hostname: required key is missing',
      'version: 1\ncontrol-service: {}\ndataset: {backend: loopback}\n',
    ],
    [
      'a bad backend key',
      'dataset.root_path: must be an absolute path',
      'version: 1\ncontrol-service: {hostname: a.b}\ndataset: {backend: loopback, root_path: relative}\n',
    ],
    [
      'an unknown backend',
      '"no-such-backend": is neither a built-in backend',
      'version: 1\ncontrol-service: {hostname: a.b}\ndataset: {backend: no-such-backend}\n',
    ],
  ])('%s', async (what, message, yaml) => {
    // In the operator's directory, where the loopback package is installed.
    const config = join(world.dir, `${what.replaceAll(' ', '-')}.yml`);
    await writeFile(config, yaml);
    const run = await certifyHere(['--config', config, '--report-dir', join(dir, 'reports')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr).not.toContain('Usage:');
  });

  it('a peer agent.yml for another backend is refused, naming both', async () => {
    const a = await agentYml(world.dir, 'a.yml', { backend: 'loopback', root_path: join(dir, 'root') });
    const b = await agentYml(world.dir, 'b.yml', { backend: 'aws', region: 'us-east-1' });
    const run = await certifyHere(['--config', a, '--peer-config', b, '--report-dir', join(dir, 'r')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`invalid configuration in ${b}`);
    expect(run.stderr).toContain('dataset.backend: "aws", but node A\'s is "loopback"');
  });

  it.each([
    [['--only', 'everything'], '--only: expected conformance, acceptance, cluster'],
    [['--cluster-id', 'not-a-uuid'], '--cluster-id: "not-a-uuid" is not a lowercase UUID'],
    [['--timeout', '-3'], '--timeout: expected a positive number of seconds'],
    [['--no-such-option'], "Unknown option '--no-such-option'"],
    [['sweep'], 'sweep: --config PATH is required'],
  ])('%j', async (args, message) => {
    const run = await certifyHere(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain('Usage:');
  });

  it('a backend that cannot start here is one message and exit 2, before any test', async () => {
    const module = join(world.dir, 'cannot-start.mjs');
    await writeFile(
      module,
      `export const FLOCKER_BACKEND = {
  name: 'unreachable', needsClusterId: false, deployerType: 'block',
  configSchema: { safeParse: (value) => ({ success: true, data: value }) },
  apiFactory: () => { throw new Error('the storage endpoint refused the credentials'); },
};\n`,
    );
    const config = await agentYml(world.dir, 'cannot-start.yml', { backend: './cannot-start.mjs' });
    const reports = join(dir, 'cannot-start');
    // Exit 2, not 0 or 1: no test ran.
    const run = await certifyHere(['--config', config, '--report-dir', reports]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'backend unreachable cannot start here: the storage endpoint refused the credentials',
    );
    expect(run.stderr).not.toContain('Usage:');
  });

  it('the loopback backend, not as root, cannot start here: its own reason, exit 2', {
    timeout: SPAWN_TIMEOUT_MS,
  }, async () => {
    // In a folder nobody can read; the loopback package is found from the working directory, the checkout.
    const config = await agentYml(dir, 'loopback.yml', {
      backend: 'loopback',
      root_path: join(dir, 'loopback-root'),
    });
    const run = await certifyAsNonRoot(['--config', config, '--report-dir', join(dir, 'loopback-reports')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('backend loopback cannot start here');
    expect(run.stderr).toContain('needs root privileges');
    expect(run.stderr).not.toContain('Usage:');
    expect(run.stdout).not.toContain('✗');
  });

  it('the default run, not as root, says loop devices need root', { timeout: SPAWN_TIMEOUT_MS }, async () => {
    const run = await certifyAsNonRoot(['--report-dir', join(dir, 'never-written')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'needs root for its loop devices (losetup) and the @flockerjs/driver-loopback package',
    );
  });
});
