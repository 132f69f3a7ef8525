import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { flockerControl } from '../src/cli/flocker-control.js';

/** The built command, as npm installs it. */
export const CONTROL_BIN = join(import.meta.dirname, '..', 'dist', 'cli', 'main.js');

export interface ControlProcess {
  readonly child: ChildProcess;
  /** The first port it listens on (the REST API), once started. */
  readonly port: number;
  readonly url: string;
  /** Everything written so far. */
  output(): { stdout: string; stderr: string };
  /** Resolves with the exit code (or signal name) when it exits. */
  readonly exited: Promise<number | string>;
}

/** Runs `flocker-control` and waits for its "listening" line; killed when the test ends if still running. */
export async function startControlProcess(args: readonly string[]): Promise<ControlProcess> {
  const child = spawn(
    process.execPath,
    [CONTROL_BIN, '--port', '0', '--agent-port', '0', '--host', '127.0.0.1', ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  onTestFinished(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  const port = await new Promise<number>((resolve, reject) => {
    const look = (): void => {
      const match = /listening on https?:\/\/[^ ]*:(\d+)/.exec(stdout);
      if (match?.[1] !== undefined) resolve(Number(match[1]));
    };
    child.stdout?.on('data', look);
    void exited.then((code) =>
      reject(new Error(`flocker-control exited (${code}) before listening:\n${stderr}`)),
    );
  });
  const scheme = args.includes('--insecure-development-mode') ? 'http' : 'https';
  return { child, port, url: `${scheme}://127.0.0.1:${port}`, output: () => ({ stdout, stderr }), exited };
}

/**
 * Runs `flocker-control` in this process, told to stop as soon as it has started; for the ways it refuses to
 * start, which need no process of their own.
 */
export async function runControl(
  args: readonly string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await flockerControl(args, {
    out: (text) => {
      stdout += text;
    },
    err: (text) => {
      stderr += text;
    },
    stopped: Promise.resolve(),
  });
  return { code, stdout, stderr };
}
