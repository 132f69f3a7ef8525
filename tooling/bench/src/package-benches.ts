// The drivers' own benchmarks (each package's `bench` script), run as they are and read from the files they
// write, so that their figures join the one table.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Sample } from './figures.js';

const run = promisify(execFile);

/** One package's benchmark: how to run it, where it writes, and which of its results are figures. */
export interface PackageBench {
  readonly name: string;
  /** From the repository root. */
  readonly dir: string;
  /** Arguments of `node`, run in `dir`. */
  readonly args: (root: string) => readonly string[];
  /** The JSON file it writes, from `dir`. */
  readonly results: string;
  readonly figures: (results: Record<string, unknown>) => Sample;
}

const tsx = (root: string) => join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const number = (value: unknown): number => (typeof value === 'number' ? value : Number.NaN);
const at = (object: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], object);

export const PACKAGE_BENCHES: readonly PackageBench[] = [
  {
    name: 'ebs',
    dir: 'packages/driver-ebs',
    args: (root) => [tsx(root), 'bench/bench.ts'],
    results: 'test-results/bench.json',
    figures: (r) => ({
      'ebs.create_over_transition': { value: number(at(r, 'create', 'meanRatio')), unit: 'ratio' },
      'ebs.attach_over_transition': { value: number(at(r, 'attach', 'meanRatio')), unit: 'ratio' },
      // EC2 applies a filter page by page: 10,000 volumes are 20 pages of 500 whatever the filter keeps.
      'ebs.list_10000_describe_calls': {
        value: number(at(r, 'listVolumes', 'describeVolumesCalls')),
        unit: 'calls',
      },
    }),
  },
  {
    name: 'cinder',
    dir: 'packages/driver-cinder',
    args: (root) => [tsx(root), 'bench/bench.ts'],
    results: 'bench/bench-results.json',
    figures: (r) => ({
      'cinder.create_over_transition': { value: number(r.createOverheadRatio), unit: 'ratio' },
      'cinder.attach_over_transition': { value: number(r.attachOverheadRatio), unit: 'ratio' },
      'cinder.list_5000_requests': { value: number(at(r, 'listVolumes', 'requests')), unit: 'calls' },
    }),
  },
  {
    name: 'loopback',
    dir: 'packages/driver-loopback',
    args: () => ['bench/attach-overhead.mjs'],
    results: 'bench/bench-results.json',
    figures: (r) => ({
      'loopback.attach_cycle_over_losetup': { value: number(r.driverOverRawRatio), unit: 'ratio' },
      'loopback.list_1001_ms': { value: number(r.listVolumesMsFor1001), unit: 'ms' },
    }),
  },
];

/** Runs one package's benchmark and reads its figures. */
export async function packageBench(root: string, bench: PackageBench): Promise<Sample> {
  const cwd = join(root, bench.dir);
  await run(process.execPath, [...bench.args(root)], { cwd, maxBuffer: 16 * 1024 * 1024 });
  return bench.figures(
    JSON.parse(await readFile(join(cwd, bench.results), 'utf8')) as Record<string, unknown>,
  );
}

/**
 * The start-up figures of every published command's `--help` against `node -e 0`, from repo-checks'
 * `bench/startup.ts --json` (`[{ name, value, unit }]`) where that script exists; `undefined` where it does not.
 */
export async function startup(root: string): Promise<Sample | undefined> {
  const script = join(root, 'tooling', 'repo-checks', 'bench', 'startup.ts');
  if (!existsSync(script)) return undefined;
  const { stdout } = await run(process.execPath, [tsx(root), script, '--json'], {
    cwd: join(root, 'tooling', 'repo-checks'),
    maxBuffer: 16 * 1024 * 1024,
  });
  const figures = JSON.parse(stdout) as { name: string; value: number; unit: string }[];
  return Object.fromEntries(
    figures.map((figure) => [
      `startup.${figure.name.replace(/^startup\./, '')}`,
      { value: figure.value, unit: figure.unit },
    ]),
  );
}
