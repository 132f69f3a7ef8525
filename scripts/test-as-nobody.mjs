#!/usr/bin/env node
// Runs every package's fast-tier tests as `nobody`, as a contributor without root runs them, after a root
// install and build. Each package's report goes to test-results/nobody.json. CI runs it before the root
// `npm test`, which then leaves out the files that passed whole here (tooling/vitest-config) and counts both runs
// in its closing `N passed, N failed` line, with the share of all tests that ran as nobody.
// Exits 1 when a test fails here.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nobodyCommand } from '../tooling/vitest-config/nobody.js';
import { NOBODY_REPORT, splitReport, TIER_VARIABLE, testedPackages } from '../tooling/vitest-config/tiers.js';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

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

for (const { dir } of testedPackages(ROOT)) rmSync(join(dir, NOBODY_REPORT), { force: true });

// The root vitest.config.ts: every package's tests in one vitest, as `npm test` runs them.
const report = join(out, 'nobody.json');
// The runner config loader writes no bundled config next to a package, which nobody may not do.
const vitestArgs = ['run', '--configLoader', 'runner', '--reporter=dot', '--reporter=json'];
// Wherever the checkout is (under /root, or a 0700 `mktemp -d` folder), nobody gets to read it.
const { file, args, cwd } = nobodyCommand(
  [process.execPath, vitest, ...vitestArgs, `--outputFile.json=${report}`],
  { cwd: ROOT, checkout: ROOT, scratch: out },
);
const code = await new Promise((resolve) => {
  const child = spawn(file, args, {
    cwd,
    env: { ...process.env, HOME: out, NO_COLOR: '1', [TIER_VARIABLE]: 'fast', CI: 'true' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  child.on('close', (status) => resolve(status ?? 1));
});

// Each package's files of the report go to its test-results/nobody.json (scripts/test-summary.mjs counts them).
if (existsSync(report)) splitReport(ROOT, report, NOBODY_REPORT);
rmSync(out, { recursive: true, force: true });
process.exit(code === 0 ? 0 : 1);
