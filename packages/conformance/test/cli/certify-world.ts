import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, realpath, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execCommand } from '@flockerjs/core-interface';
import { releaseUnder } from '@flockerjs/linux-block';
import { nobodyCommand } from '@flockerjs/vitest-config/nobody';
import { type Report, reportSchema } from '../../src/cli/report.js';

export const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url));
export const WORKSPACE = join(PACKAGE_DIR, '..', '..').replace(/\/$/, '');
const CLI = join(PACKAGE_DIR, 'dist', 'cli', 'main.js');

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built command as a user would, optionally as `nobody`, and resolves when it exits. */
export function runCli(
  args: readonly string[],
  options: {
    cwd: string;
    /** Run as `nobody`; `scratch`: a folder every user may enter, removed by the caller. */
    asNobody?: { scratch: string };
    /** More environment for the command, e.g. its own TMPDIR. */
    env?: Record<string, string>;
    onStdout?: (chunk: string, child: ReturnType<typeof spawn>) => void;
  },
): Promise<CliRun> {
  const command = [process.execPath, CLI, ...args];
  // Wherever the checkout is (under /root, or a 0700 `mktemp -d` folder), nobody gets to read it.
  const nobody = options.asNobody;
  const {
    file,
    args: argv,
    cwd,
  } = nobody
    ? nobodyCommand(command, { cwd: options.cwd, checkout: WORKSPACE, scratch: nobody.scratch })
    : { file: process.execPath, args: command.slice(1), cwd: options.cwd };
  return new Promise((resolve) => {
    const child = spawn(file, argv, {
      cwd,
      env: { ...process.env, NO_COLOR: '1', ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
      options.onStdout?.(stdout, child);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * A directory outside the workspace, as an operator's: third-party backend packages installed in its
 * node_modules, next to the flockerjs packages they build on.
 */
export async function makeWorld(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), 'flockerjs-certify-world-')));
  await mkdir(join(dir, 'node_modules', '@flockerjs'), { recursive: true });
  for (const name of ['core-interface', 'driver-loopback']) {
    await symlink(join(WORKSPACE, 'packages', name), join(dir, 'node_modules', '@flockerjs', name), 'dir');
  }
  for (const name of ['acme-storage', 'acme-broken']) {
    await cp(join(PACKAGE_DIR, 'test', 'fixtures', name), join(dir, 'node_modules', name), {
      recursive: true,
    });
  }
  return {
    dir,
    async remove() {
      // Whatever a failed test left mounted or attached under this directory must not outlive it; every step
      // runs, and what could not be released fails the caller rather than leaking quietly.
      const errors = await releaseUnder(execCommand, dir, { remove: true });
      if (errors.length > 0)
        throw new AggregateError(errors, `removing ${dir}: ${errors.map((e) => String(e)).join('; ')}`);
    },
  };
}

/** Writes an agent.yml for `backend` with extra dataset keys; returns its path. */
export async function agentYml(dir: string, name: string, dataset: Record<string, string>): Promise<string> {
  const path = join(dir, name);
  const keys = Object.entries(dataset).map(([key, value]) => `  ${key}: ${value}`);
  await writeFile(
    path,
    ['version: 1', 'control-service:', '  hostname: control.example.com', 'dataset:', ...keys, ''].join('\n'),
  );
  return path;
}

export async function readReport(dir: string): Promise<Report> {
  return reportSchema.parse(JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')));
}

/**
 * Why a run did not end as expected, for an assertion's message: each suite case its report.json records as
 * failed, with its error, one line each and first (CI's summary keeps only a message's first line), then the
 * command's output. A failure inside the spawned run would otherwise reach CI as the test's name alone.
 */
export async function whyRun(run: CliRun, reportDir: string): Promise<string> {
  const report = await readReport(reportDir).catch(() => undefined);
  const failed = (report?.tests ?? []).filter((test) => test.state === 'failed');
  const cases = failed.map(
    (test) => `${test.suite} › ${test.name}: ${firstLine(test.error ?? '(no error recorded)')}`,
  );
  return [...cases, run.stdout, run.stderr].join('\n');
}

function firstLine(text: string): string {
  return text.split('\n').find((line) => line.trim() !== '') ?? text;
}
