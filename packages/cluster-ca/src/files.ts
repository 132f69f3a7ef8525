import { constants } from 'node:fs';
import { access, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CertificateError } from '@flockerjs/core-interface';
import type { CertificateAndKey } from './authority.js';

/** Private keys are readable by their owner only. */
const KEY_MODE = 0o600;
const CERTIFICATE_MODE = 0o644;

/** The CA's files, written by `flocker-ca initialize` and read by every other command. */
export const AUTHORITY_FILES = { certificate: 'cluster.crt', key: 'cluster.key' } as const;

/**
 * Writes `<baseName>.crt` and `<baseName>.key` into `dir`, both created exclusively: when either exists, nothing
 * is written and a CERTIFICATE error names it. Returns the two paths.
 */
export async function writeCertificateFiles(
  dir: string,
  baseName: string,
  pair: CertificateAndKey,
): Promise<{ readonly certificate: string; readonly key: string }> {
  const paths = { certificate: join(dir, `${baseName}.crt`), key: join(dir, `${baseName}.key`) };
  for (const path of [paths.key, paths.certificate]) {
    if (await exists(path)) throw new CertificateError(path, 'already exists; refusing to overwrite it');
  }
  await createExclusive(paths.key, pair.key, KEY_MODE);
  try {
    await createExclusive(paths.certificate, pair.certificate, CERTIFICATE_MODE);
  } catch (error) {
    // The key alone is useless and would block the next attempt: it goes, since this call created it.
    await rm(paths.key, { force: true });
    throw error;
  }
  return paths;
}

/** The text of `dir/name`; a CERTIFICATE error naming the file says why it cannot be read. */
export async function readCertificateFile(dir: string, name: string): Promise<string> {
  const path = join(dir, name);
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'is missing'
        : code === 'EACCES'
          ? 'is not readable (permission denied)'
          : `cannot be read (${code ?? String(error)})`;
    throw new CertificateError(path, why, { cause: error });
  }
}

// --- internals ---

async function exists(path: string): Promise<boolean> {
  return access(path, constants.F_OK).then(
    () => true,
    () => false,
  );
}

async function createExclusive(path: string, text: string, mode: number): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'wx', mode);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CertificateError(
      path,
      code === 'EEXIST'
        ? 'already exists; refusing to overwrite it'
        : `cannot be created (${code ?? String(error)})`,
      { cause: error },
    );
  }
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
