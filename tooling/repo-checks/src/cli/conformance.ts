// Runs one driver's conformance suite as the CI matrix job does:
//   [sudo env "PATH=$PATH"] tsx tooling/repo-checks/src/cli/conformance.ts <driver>
// with the environment from its package.json `flockerjs.conformance.env`. Exit 0 when it passed with at least one
// test run, 1 when it failed or everything was skipped, 2 on bad usage (unknown driver, root needed but missing).
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { judgeConformance, type VitestCounts } from '../conformance-run.js';
import { driverSettings } from '../driver-settings.js';
import { workspaceRoot } from '../paths.js';
import { driverId, readDriverPackages } from '../workspace.js';

const root = workspaceRoot();
const [wanted] = process.argv.slice(2);
const pkg = (await readDriverPackages(root)).find((candidate) => driverId(candidate) === wanted);
if (pkg === undefined) {
  console.error(`conformance: no packages/driver-${wanted ?? '<driver>'}; usage: conformance.ts <driver>`);
  process.exit(2);
}
const settings = driverSettings(pkg);
if (settings.conformance.needsRoot && process.getuid?.() !== 0) {
  console.error(
    `conformance: ${pkg.manifest.name} needs root (flockerjs.conformance.needsRoot); run it with sudo`,
  );
  process.exit(2);
}
const dir = join(root, pkg.dir);
const report = join(dir, 'test-results', 'vitest.json');
rmSync(report, { force: true });
const result = spawnSync('pnpm', ['exec', 'vitest', 'run', 'test/conformance.test.ts'], {
  cwd: dir,
  stdio: 'inherit',
  env: { ...process.env, ...settings.conformance.env },
});
let counts: VitestCounts;
try {
  counts = JSON.parse(readFileSync(report, 'utf8')) as VitestCounts;
} catch {
  console.error(`conformance: vitest wrote no report (exit ${result.status}); see its output above`);
  process.exit(1);
}
const verdict = judgeConformance(counts);
console.log(`${pkg.manifest.name} conformance: ${verdict.summary}`);
process.exit(verdict.ok && result.status === 0 ? 0 : 1);
