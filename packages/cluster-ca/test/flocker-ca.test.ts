// flocker-ca as a user runs it: in a scratch directory, files checked on disk, then laid out as /etc/flocker
// would hold them and loaded back with loadCredentials. The commands run in this process (the certificate library
// loads once, not once per command); one test runs the built bin, for its wiring to argv, output and exit status.
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flockerCa as runFlockerCa } from '../src/cli/flocker-ca.js';
import { issueApiCertificate, loadCredentials, writeCertificateFiles } from '../src/index.js';
import { scratchDir } from './fixtures.js';

const BIN = join(import.meta.dirname, '..', 'dist', 'cli', 'main.js');

interface Run {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs flocker-ca in `cwd`; resolves with its exit status and output, whatever the status. */
async function flockerCa(cwd: string, ...args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const status = await runFlockerCa(args, {
    cwd,
    out: (text) => {
      stdout += text;
    },
    err: (text) => {
      stderr += text;
    },
  });
  return { status, stdout, stderr };
}

/** Runs the built bin in `cwd`, as a user's shell does. */
function flockerCaBin(cwd: string, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd }, (error, stdout, stderr) => {
      const status = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ status, stdout, stderr });
    });
  });
}

const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

// One CA made by the command for the whole file; tests that only need one copy its files.
let caDir = '';
beforeAll(async () => {
  caDir = await mkdtemp(join(tmpdir(), 'flockerjs-cluster-ca-'));
  const result = await flockerCa(caDir, 'initialize', 'mycluster');
  expect(result, result.stderr).toMatchObject({ status: 0, stderr: '' });
  expect(result.stdout).toMatch(/^Created cluster\.key and cluster\.crt for cluster [0-9a-f-]{36}\./);
});
afterAll(() => rm(caDir, { recursive: true, force: true }));

/** A scratch directory holding a copy of the CA's files. */
async function withCa(): Promise<string> {
  const dir = await scratchDir();
  for (const file of ['cluster.crt', 'cluster.key']) await copyFile(join(caDir, file), join(dir, file));
  return dir;
}

describe('flocker-ca', () => {
  it('the built bin takes argv, writes to stdout and stderr, and exits with the status of the command', async () => {
    const dir = await withCa();
    const made = await flockerCaBin(dir, 'create-api-certificate', 'bob');
    expect(made, made.stderr).toMatchObject({ status: 0, stderr: '' });
    expect(made.stdout).toContain('bob.crt');
    expect((await readdir(dir)).sort()).toEqual(['bob.crt', 'bob.key', 'cluster.crt', 'cluster.key']);
    const refused = await flockerCaBin(dir, 'create-api-certificate', 'bob');
    expect(refused).toMatchObject({ status: 1, stdout: '' });
    expect(refused.stderr).toContain('bob.key: already exists');
    const usage = await flockerCaBin(dir, 'frobnicate');
    expect(usage).toMatchObject({ status: 2, stdout: '' });
    expect(usage.stderr).toContain('usage: flocker-ca');
  });

  it('initialize wrote cluster.crt and cluster.key (0600), and refuses to run again', async () => {
    expect((await readdir(caDir)).sort()).toEqual(['cluster.crt', 'cluster.key']);
    expect(await mode(join(caDir, 'cluster.key'))).toBe(0o600);
    const before = await readFile(join(caDir, 'cluster.key'), 'utf8');
    const again = await flockerCa(caDir, 'initialize', 'mycluster');
    expect(again.status).toBe(1);
    expect(again.stderr).toContain(`${join(caDir, 'cluster.key')}: already exists; refusing to overwrite it`);
    expect(await readFile(join(caDir, 'cluster.key'), 'utf8')).toBe(before);
  });

  it('makes control, node and API-user certificates that load as /etc/flocker lays them out', async () => {
    // The control and user certificates with -i and -o from elsewhere, the node's in the working directory.
    const dir = await withCa();
    const control = await flockerCa(
      await scratchDir(),
      'create-control-certificate',
      '-i',
      caDir,
      '-o',
      dir,
      '192.0.2.10',
    );
    expect(control.status, control.stderr).toBe(0);
    const user = await flockerCa(
      await scratchDir(),
      'create-api-certificate',
      '--inputpath',
      caDir,
      '--outputpath',
      dir,
      'alice',
    );
    expect(user.status, user.stderr).toBe(0);
    const node = await flockerCa(dir, 'create-node-certificate');
    expect(node.status, node.stderr).toBe(0);
    expect(node.stdout).toContain('/etc/flocker/node.crt');
    const files = (await readdir(dir)).sort();
    const nodeUuid = files.find((file) => /^[0-9a-f-]{36}\.crt$/.test(file))?.slice(0, 36) ?? '';
    expect(files).toEqual(
      [
        'alice.crt',
        'alice.key',
        'cluster.crt',
        'cluster.key',
        'control-192.0.2.10.crt',
        'control-192.0.2.10.key',
        `${nodeUuid}.crt`,
        `${nodeUuid}.key`,
      ].sort(),
    );
    for (const key of files.filter((file) => file.endsWith('.key')))
      expect(await mode(join(dir, key)), key).toBe(0o600);

    // Copied as the printed instructions say: the control service's and a node's /etc/flocker, a user's folder.
    const etc = async (pairs: Record<string, string>): Promise<string> => {
      const target = await scratchDir();
      for (const [from, to] of Object.entries({ 'cluster.crt': 'cluster.crt', ...pairs }))
        await copyFile(join(dir, from), join(target, to));
      return target;
    };
    const loaded = await loadCredentials(
      await etc({
        'control-192.0.2.10.crt': 'control-service.crt',
        'control-192.0.2.10.key': 'control-service.key',
      }),
      { kind: 'control' },
    );
    const agent = await loadCredentials(
      await etc({ [`${nodeUuid}.crt`]: 'node.crt', [`${nodeUuid}.key`]: 'node.key' }),
      {
        kind: 'node',
      },
    );
    const alice = await loadCredentials(await etc({ 'alice.crt': 'alice.crt', 'alice.key': 'alice.key' }), {
      kind: 'user',
      userName: 'alice',
    });
    const clusterId = loaded.identity.clusterId;
    expect(agent.identity).toEqual({ kind: 'node', nodeUuid, clusterId });
    expect(alice.identity).toEqual({ kind: 'user', userName: 'alice', clusterId });
  });

  it('refuses to overwrite a certificate or a key, and leaves both as they were', async () => {
    const dir = await withCa();
    const authority = {
      certificate: await readFile(join(caDir, 'cluster.crt'), 'utf8'),
      key: await readFile(join(caDir, 'cluster.key'), 'utf8'),
    };
    await writeCertificateFiles(dir, 'alice', await issueApiCertificate(authority, 'alice'));
    const before = await readFile(join(dir, 'alice.crt'), 'utf8');
    const again = await flockerCa(dir, 'create-api-certificate', 'alice');
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/alice\.key: already exists; refusing to overwrite it/);
    expect(await readFile(join(dir, 'alice.crt'), 'utf8')).toBe(before);
    // The certificate alone existing is enough to refuse, and no key is left behind.
    const lone = await withCa();
    await copyFile(join(dir, 'alice.crt'), join(lone, 'alice.crt'));
    expect((await flockerCa(lone, 'create-api-certificate', 'alice')).stderr).toMatch(
      /alice\.crt: already exists/,
    );
    expect((await readdir(lone)).sort()).toEqual(['alice.crt', 'cluster.crt', 'cluster.key']);
  });

  it('names the missing CA file and writes nothing', async () => {
    const empty = await scratchDir();
    const result = await flockerCa(empty, 'create-node-certificate');
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(`flocker-ca: error: ${join(empty, 'cluster.crt')}: is missing\n`);
    expect(await readdir(empty)).toEqual([]);
    const out = await scratchDir();
    await copyFile(join(caDir, 'cluster.crt'), join(out, 'cluster.crt'));
    const noKey = await flockerCa(out, 'create-control-certificate', 'control.example.com');
    expect(noKey.stderr).toContain(`${join(out, 'cluster.key')}: is missing`);
  });

  it.for([
    [[], 'no command given'],
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['create-api-certificate'], 'create-api-certificate takes one argument'],
    [['create-node-certificate', 'extra'], 'create-node-certificate takes no argument'],
    [['initialize', 'x', '-o', '/tmp'], 'takes no -i or -o'],
    [['create-node-certificate', '--bogus'], "Unknown option '--bogus'"],
  ] as const)('exits 2 with usage on %j', async ([args, message]) => {
    const result = await flockerCa(await scratchDir(), ...args);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('usage: flocker-ca');
  });

  it('exits 1 on a user name that cannot be a file name', async () => {
    const dir = await withCa();
    const result = await flockerCa(dir, 'create-api-certificate', '../escape');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('invalid user name "../escape"');
    expect((await readdir(dir)).sort()).toEqual(['cluster.crt', 'cluster.key']);
  });
});
