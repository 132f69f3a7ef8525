#!/usr/bin/env node
// Entry point of the root npm scripts. It makes `npm test` and `npm run certify` work on a machine that has
// only Node and npm: it brings the pinned pnpm, installs the workspace from the lockfile, then runs turbo.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AFTER_NOBODY_VARIABLE,
  MIN_NOBODY_SHARE,
  REPORT,
  splitReport,
  TIER_VARIABLE,
  testedPackages,
} from '../tooling/vitest-config/tiers.js';
import { NOBODY_REPORT, printSummary } from './test-summary.mjs';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
/** Exactly the version in package.json `packageManager`: pnpm refuses to run a workspace pinned to another. */
const PNPM_VERSION = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).packageManager.split(
  '@',
)[1];
const LOCAL_PNPM_DIR = join(ROOT, '.tooling', 'pnpm');
const VITEST = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
/** flocker-certify options whose value is a path. */
const PATH_OPTIONS = new Set(['--config', '--peer-config', '--report-dir']);

const env = {
  ...process.env,
  TURBO_TELEMETRY_DISABLED: '1',
  DO_NOT_TRACK: '1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

function run(cmd, args, { allowFailure = false } = {}) {
  const result = spawnSync(cmd, args, { cwd: ROOT, env, stdio: 'inherit' });
  if (result.error) throw result.error;
  if (result.status !== 0 && !allowFailure) process.exit(result.status ?? 1);
  return result.status ?? 1;
}

function pnpmVersionOnPath() {
  const probe = spawnSync('pnpm', ['--version'], { env, encoding: 'utf8' });
  return probe.status === 0 ? probe.stdout.trim() : null;
}

function ensurePnpm() {
  if (pnpmVersionOnPath() === PNPM_VERSION) return;
  const localBin = join(LOCAL_PNPM_DIR, 'node_modules', '.bin');
  env.PATH = `${localBin}${delimiter}${env.PATH ?? ''}`;
  if (pnpmVersionOnPath() === PNPM_VERSION) return;
  console.log(`flockerjs: installing pnpm ${PNPM_VERSION} into .tooling/pnpm (once)`);
  run('npm', [
    'install',
    '--prefix',
    LOCAL_PNPM_DIR,
    '--no-save',
    '--no-package-lock',
    '--no-audit',
    '--no-fund',
    `pnpm@${PNPM_VERSION}`,
  ]);
  if (pnpmVersionOnPath() !== PNPM_VERSION) {
    console.error(`flockerjs: pnpm ${PNPM_VERSION} is still not runnable after installing it`);
    process.exit(1);
  }
}

function ensureInstalled() {
  // pnpm keeps a copy of the lockfile it installed; when it matches, the (slow) registry re-verification of
  // every entry can be skipped.
  const installed = join(ROOT, 'node_modules', '.pnpm', 'lock.yaml');
  const lockfile = join(ROOT, 'pnpm-lock.yaml');
  if (existsSync(installed) && readFileSync(installed, 'utf8') === readFileSync(lockfile, 'utf8')) return;
  run('pnpm', ['install', '--frozen-lockfile']);
}

/** Removes earlier reports, but keeps those of the run as nobody that this run follows (CI). */
function clearTestResults() {
  const afterNobody = env[AFTER_NOBODY_VARIABLE] === '1';
  for (const { dir } of testedPackages(ROOT)) {
    const results = join(dir, 'test-results');
    if (!existsSync(results)) continue;
    for (const file of readdirSync(results)) {
      if (!(afterNobody && file === NOBODY_REPORT))
        rmSync(join(results, file), { recursive: true, force: true });
    }
  }
}

const task = process.argv[2];
const args = process.argv.slice(3);
/**
 * `npm test -- --fast`: everything but the slow tier (`*.slow.test.ts`, see tooling/vitest-config);
 * `npm test -- --slow`: the slow tier alone.
 */
const tier = task === 'test' ? ['fast', 'slow'].find((name) => args.includes(`--${name}`)) : undefined;
const extra = args.filter((arg) => !(tier !== undefined && arg === `--${tier}`));
if (tier !== undefined) env[TIER_VARIABLE] = tier;
ensurePnpm();
ensureInstalled();

switch (task) {
  case 'build':
    run('pnpm', ['turbo', 'run', task, ...extra]);
    break;
  case 'typecheck':
    run('pnpm', ['exec', 'tsc', '-b', ...extra]);
    break;
  case 'bench': {
    // One table of every figure (tooling/bench runs the fleet, I/O and start-up benchmarks and each driver's own);
    // `--json` writes bench-results.json here, `--runs N` and `--only a,b` choose what runs.
    run('pnpm', ['turbo', 'run', 'build']);
    const tsx = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
    process.exit(run(process.execPath, [tsx, join(ROOT, 'tooling', 'bench', 'src', 'main.ts'), ...extra]));
    break;
  }
  case 'lint':
    run('pnpm', ['exec', 'biome', 'check', '--error-on-warnings', '.', ...extra]);
    break;
  case 'test': {
    clearTestResults();
    const lint = run('pnpm', ['exec', 'biome', 'check', '--error-on-warnings', '.'], { allowFailure: true });
    // The root tsconfig.json is the solution of every package: one tsc process builds them all and checks every
    // package's tests, sharing the parsed libraries (a third of the CPU of a tsc per package).
    const types = run('pnpm', ['exec', 'tsc', '-b'], { allowFailure: true });
    // Every package's tests in one vitest (the root vitest.config.ts); its report is then split by package.
    const report = join(ROOT, REPORT);
    rmSync(report, { force: true });
    const tests = run(process.execPath, [VITEST, 'run', ...extra], { allowFailure: true });
    if (existsSync(report)) splitReport(ROOT, report, REPORT);
    // Lint and type errors count in the closing line, so that it never says 0 failed of a failing run; so does a
    // vitest that failed before it could report.
    const checks = [
      ...(lint === 0 ? [] : ['lint: biome check found problems (above)']),
      ...(types === 0 ? [] : ['types: tsc -b found errors (above)']),
      ...(tests === 0 || existsSync(report)
        ? []
        : [`tests: vitest exited ${tests} without a report (above)`]),
    ];
    const { failed, nobodyShare } = printSummary(ROOT, checks);
    const tooFewAsNobody = (nobodyShare ?? 1) < MIN_NOBODY_SHARE;
    process.exit(tests !== 0 || failed > 0 || tooFewAsNobody ? 1 : 0);
    break;
  }
  case 'certify':
  case 'demo': {
    // Both run the loopback backend by default, a root dev dependency, so the commands find it.
    run('pnpm', [
      'turbo',
      'run',
      'build',
      '--filter=@flockerjs/conformance',
      '--filter=@flockerjs/driver-loopback',
      // The cluster suite and the demo run its command on each node; it is a root dev dependency.
      '--filter=@flockerjs/dataset-agent',
    ]);
    // npm runs scripts from the root; paths the user typed are relative to where they typed them.
    // biome-ignore lint/suspicious/noUndeclaredEnvVars: this script runs turbo; it is not a turbo task.
    const here = process.env.INIT_CWD ?? process.cwd();
    const args = extra.map((arg, i) => (PATH_OPTIONS.has(extra[i - 1] ?? '') ? resolve(here, arg) : arg));
    if (task === 'demo') {
      const tsx = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
      process.exit(
        run(process.execPath, [tsx, join(ROOT, 'tooling', 'demo', 'src', 'demo.ts'), ...args], {
          allowFailure: true,
        }),
      );
    }
    if (!args.includes('--report-dir')) args.push('--report-dir', resolve(here, 'certification'));
    // Called by path: the workspace's bin link may predate the first build.
    const cli = join(ROOT, 'packages', 'conformance', 'dist', 'cli', 'main.js');
    process.exit(run(process.execPath, [cli, ...args], { allowFailure: true }));
    break;
  }
  default:
    console.error(
      `usage: node scripts/dev.mjs build|bench|typecheck|lint|test [--fast|--slow]|certify [args...]|demo [args...]`,
    );
    process.exit(2);
}
