import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { execCommand } from '@flockerjs/core-interface';

const run = promisify(execFile);

/** Where Debian installs each PostgreSQL major version's server binaries. */
const DEBIAN_PG_ROOT = '/usr/lib/postgresql';
const SERVER_USER = 'postgres';

/** The newest installed server's bin directory, or undefined when Debian's `postgresql` is not installed. */
export function findPostgresBin(): string | undefined {
  if (!existsSync(DEBIAN_PG_ROOT)) return undefined;
  const versions = readdirSync(DEBIAN_PG_ROOT)
    .filter((name) => /^\d+$/.test(name) && existsSync(join(DEBIAN_PG_ROOT, name, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(DEBIAN_PG_ROOT, versions[0], 'bin');
}

/** Installs Debian's `postgresql` when no server is installed, as `.ci/run` installs util-linux. */
export async function ensurePostgres(log: (line: string) => void): Promise<string> {
  const found = findPostgresBin();
  if (found !== undefined) return found;
  log('installing Debian package postgresql (once)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // apt can take minutes; execCommand's limit is for commands that answer in milliseconds.
  await run('apt-get', ['update', '-qq'], { env, timeout: 600_000 });
  await run('apt-get', ['install', '-y', '-qq', 'postgresql'], { env, timeout: 900_000 });
  const bin = findPostgresBin();
  if (bin === undefined) throw new Error('apt-get installed postgresql, but no server binary was found');
  return bin;
}

async function asServerUser(bin: string, command: string, args: readonly string[]): Promise<string> {
  const { uid, gid } = await serverUserIds();
  const { stdout } = await run(join(bin, command), [...args], {
    uid,
    gid,
    timeout: 120_000,
    encoding: 'utf8',
  });
  return stdout;
}

/** A PostgreSQL server run by this process, on a Unix socket only. */
export interface PostgresServer {
  /** Runs SQL through psql and returns its unaligned, tuples-only output. */
  query(sql: string): Promise<string>;
  /** Fast shutdown: waits until the server has written everything and exited. */
  stop(): Promise<void>;
}

/**
 * Makes `dataDir` (inside a dataset's mount) a new database cluster owned by the server user.
 * The directories above it must be traversable by that user.
 */
export async function initDatabase(bin: string, dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  const { uid, gid } = await serverUserIds();
  await chown(dataDir, uid, gid);
  await chmod(dataDir, 0o700);
  await asServerUser(bin, 'initdb', ['--pgdata', dataDir, '--auth', 'trust', '--username', SERVER_USER]);
}

async function serverUserIds(): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all(
    ['-u', '-g'].map(async (flag) => Number((await execCommand('id', [flag, SERVER_USER])).stdout.trim())),
  );
  if (!Number.isInteger(uid) || !Number.isInteger(gid))
    throw new Error(`no user ${SERVER_USER} on this machine`);
  return { uid: uid as number, gid: gid as number };
}

/** Starts the server on `dataDir`, listening only on a socket in `socketDir`, and waits until it accepts queries. */
export async function startPostgres(
  bin: string,
  dataDir: string,
  socketDir: string,
): Promise<PostgresServer> {
  const { uid, gid } = await serverUserIds();
  await mkdir(socketDir, { recursive: true });
  await chown(socketDir, uid, gid);
  const port = '5432';
  // The server itself is the child (no runuser in between), so that SIGINT reaches it and its exit is ours to see.
  const child: ChildProcess = spawn(
    join(bin, 'postgres'),
    ['-D', dataDir, '-k', socketDir, '-p', port, '-c', 'listen_addresses='],
    { uid, gid, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const psql = (sql: string): Promise<string> =>
    asServerUser(bin, 'psql', [
      '-h',
      socketDir,
      '-p',
      port,
      '-d',
      'postgres',
      '-v',
      'ON_ERROR_STOP=1',
      '-Atc',
      sql,
    ]);

  // pg_isready exits 0 once the server accepts connections; a server that died is reported with its log.
  for (let attempt = 0; ; attempt++) {
    const ready = await asServerUser(bin, 'pg_isready', ['-h', socketDir, '-p', port]).then(
      () => true,
      () => false,
    );
    if (ready) break;
    if (child.exitCode !== null || attempt > 600) {
      child.kill('SIGKILL');
      throw new Error(`PostgreSQL on ${dataDir} did not start: ${stderr.trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    query: (sql) => psql(sql).then((out) => out.trim()),
    async stop() {
      if (child.exitCode === null) child.kill('SIGINT');
      await exited;
    },
  };
}
