// `npm run bench`: every figure in one table; `npm run bench -- --json` also writes bench-results.json at the
// repository root. Options: --runs N (3), --only a,b (benchmark names), --json.
import { writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type Figure, type Sample, summarize, table } from './figures.js';
import { ec2Fleet, openstackFleet } from './fleet.js';
import { loopIo } from './loop-io.js';
import { moveBench } from './move.js';
import { PACKAGE_BENCHES, packageBench, startup } from './package-benches.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const ROOT = join(import.meta.dirname, '..', '..', '..');
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    only: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1)
  throw new Error(`--runs must be a positive integer, got ${values.runs}`);
const root = process.getuid?.() === 0;

/** Every benchmark: its name, and one run of it (`undefined`: it cannot run here, with the reason logged). */
const BENCHMARKS: readonly { name: string; run: () => Promise<Sample | undefined> }[] = [
  { name: 'fleet-ec2', run: () => ec2Fleet() },
  { name: 'fleet-openstack', run: () => openstackFleet() },
  { name: 'loop-io', run: async () => (root ? loopIo() : skip('loop-io', 'losetup needs root')) },
  {
    name: 'move',
    run: async () => (root ? moveBench() : skip('move', 'the agents attach loop devices: root')),
  },
  {
    name: 'startup',
    run: async () => (await startup(ROOT)) ?? skip('startup', 'no tooling/repo-checks/bench/startup.ts'),
  },
  ...PACKAGE_BENCHES.map((bench) => ({
    name: bench.name,
    run: async () =>
      root ? packageBench(ROOT, bench) : skip(bench.name, 'attaching makes real loop devices: root'),
  })),
];

function skip(name: string, why: string): undefined {
  console.error(`bench ${name}: skipped (${why})`);
  return undefined;
}

const only = values.only?.split(',');
const figures: Figure[] = [];
const failed: string[] = [];
for (const benchmark of BENCHMARKS.filter(
  (candidate) => only === undefined || only.includes(candidate.name),
)) {
  const samples: Sample[] = [];
  try {
    for (let run = 1; run <= runs; run += 1) {
      console.error(`bench ${benchmark.name}: run ${run} of ${runs}`);
      const sample = await benchmark.run();
      if (sample === undefined) break;
      samples.push(sample);
    }
  } catch (error) {
    // One broken benchmark does not cost the others' figures; the command still fails at the end.
    console.error(`bench ${benchmark.name}: failed:`, error);
    failed.push(benchmark.name);
    continue;
  }
  figures.push(...summarize(samples));
}

const ARCHES: Readonly<Record<string, string>> = { x64: 'x86_64', arm64: 'aarch64' };
const machine = `${cpus().length}-core ${ARCHES[process.arch] ?? process.arch} machine, Node ${process.versions.node.split('.')[0]}`;
const date = new Date().toISOString().slice(0, 10);
console.log(`${table(figures)}\n\nmedian of ${runs} runs, spread = largest - smallest; ${date}, ${machine}`);
if (values.json) {
  const file = join(ROOT, 'bench-results.json');
  await writeFile(file, `${JSON.stringify({ date, machine, runs, figures }, null, 2)}\n`);
  console.log(`written to ${file}`);
}
if (failed.length > 0) {
  console.error(`bench: ${failed.join(', ')} failed`);
  process.exitCode = 1;
}
