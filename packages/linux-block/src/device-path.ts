import { stat } from 'node:fs/promises';

/** Device and mount paths handed to commands: absolute, no shell syntax, no `..`. */
const SAFE_PATH = /^\/[A-Za-z0-9._:@+\-/]+$/;

/**
 * `path` itself when it is a plain absolute path (letters, digits, `._:@+-/`, no `..` segment).
 * @throws TypeError for anything else: a path from outside never reaches a command unchecked.
 */
export function checkedPath(path: string): string {
  if (typeof path !== 'string' || !SAFE_PATH.test(path) || path.split('/').includes('..')) {
    throw new TypeError(`refusing to run a command on suspicious path ${JSON.stringify(path)}`);
  }
  return path;
}

/** Whether `path` exists and is a block device (a link to one counts). */
export async function isBlockDevice(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isBlockDevice();
  } catch {
    return false;
  }
}
