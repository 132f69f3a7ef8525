#!/usr/bin/env node
// Runs every package's fast-tier tests as `nobody`, as a contributor without root runs them, after a root
// install and build. Each package's report goes to test-results/nobody.json. CI runs it before the root
// `npm test`, which then leaves out the files that passed whole here (tooling/vitest-config) and counts both runs
// in its closing `N passed, N failed` line, with the share of all tests that ran as nobody.
// Exits 1 when a test fails here.
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nobodyCommand } from '../tooling/vitest-config/nobody.js';
import { hasTestsToRun, testedPackages } from '../tooling/vitest-config/tiers.js';
import { NOBODY_REPORT } from './test-summary.mjs';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
/** Packages tested side by side: their tests mostly wait on processes and timers, not on the CPU. */
const CONCURRENCY = 3;

if (process.getuid?.() !== 0) {
  console.error('test-as-nobody: run this as root (it switches to nobody itself), after npm run typecheck');
  process.exit(2);
}

const vitest = join(
  dirname(createRequire(join(ROOT, 'package.json')).resolve('vitest/package.json')),
  'vitest.mjs',
);
const out = mkdtempSync(join(tmpdir(), 'flockerjs-nobody-'));
chmodSync(out, 0o777);

const packages = testedPackages(ROOT).filter(({ dir }) => hasTestsToRun(dir, { tier: 'fast' }));

/** Runs one package's tests as nobody; resolves its exit code. Output is printed when the run ends. */
function runPackage({ group, folder: name, dir }) {
  const report = join(out, `${group}-${name}.json`);
  // The runner config loader writes no bundled config next to the package, which nobody may not do.
  const vitestArgs = ['run', '--configLoader', 'runner', '--reporter=dot', '--reporter=json'];
  // Wherever the checkout is (under /root, or a 0700 `mktemp -d` folder), nobody gets to read it.
  const { file, args, cwd } = nobodyCommand(
    [process.execPath, vitest, ...vitestArgs, `--outputFile.json=${report}`],
    { cwd: dir, checkout: ROOT, scratch: out },
  );
  return new Promise((resolve) => {
    const child = spawn(file, args, {
      cwd,
      env: { ...process.env, HOME: out, NO_COLOR: '1', FLOCKER_TEST_TIER: 'fast', CI: 'true' },
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (code) => {
      process.stdout.write(`\n== ${group}/${name} as nobody (exit ${code})\n${output}`);
      if (existsSync(report)) {
        mkdirSync(join(dir, 'test-results'), { recursive: true });
        copyFileSync(report, join(dir, 'test-results', NOBODY_REPORT));
      }
      resolve(code ?? 1);
    });
  });
}

for (const { dir } of packages) rmSync(join(dir, 'test-results', NOBODY_REPORT), { force: true });
const queue = [...packages];
const codes = [];
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    for (let pkg = queue.shift(); pkg !== undefined; pkg = queue.shift()) codes.push(await runPackage(pkg));
  }),
);
rmSync(out, { recursive: true, force: true });

const failed = codes.some((code) => code !== 0);
process.exit(failed ? 1 : 0);
