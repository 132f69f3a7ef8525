import { execFile } from 'node:child_process';

/** Runs a program with an argument vector, never through a shell. Rejects on a non-zero exit. */
export type Exec = (file: string, args: readonly string[]) => Promise<{ stdout: string; stderr: string }>;

/** Upper bound for one OS command; losetup and mknod answer in milliseconds. */
export const COMMAND_TIMEOUT_MS = 30_000;

export const execCommand: Exec = (file, args) =>
  new Promise((resolve, reject) => {
    execFile(file, [...args], { timeout: COMMAND_TIMEOUT_MS, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(Object.assign(error, { stderr: stderr.trim() }));
      else resolve({ stdout, stderr });
    });
  });
