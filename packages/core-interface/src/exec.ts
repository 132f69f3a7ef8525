import { execFile } from 'node:child_process';

export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program with an argument vector, never through a shell. Rejects on a non-zero exit. */
export type Exec = (file: string, args: readonly string[]) => Promise<ExecResult>;

/** Upper bound for one OS command; losetup and friends answer in milliseconds. */
export const COMMAND_TIMEOUT_MS = 30_000;

export const execCommand: Exec = (file, args) =>
  new Promise((resolve, reject) => {
    execFile(file, [...args], { timeout: COMMAND_TIMEOUT_MS, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) {
        reject(Object.assign(error, { stderr: stderr.trim() }));
        return;
      }
      resolve({ stdout, stderr });
    });
  });
