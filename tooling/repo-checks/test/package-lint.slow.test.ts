// Style rule 2: every published package passes publint and "are the types wrong" (ESM-only profile) on what
// it would publish. Both pack the package, so its dist/ must be built: turbo builds it first because every
// published package is a devDependency of this one (checked below; `pnpm new-driver` adds new drivers).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { readPublishedPackages, workspaceRoot } from '../src/index.js';

const run = promisify(execFile);
const root = workspaceRoot(import.meta.dirname);
const bin = (name: string) => join(import.meta.dirname, '..', 'node_modules', '.bin', name);
const published = await readPublishedPackages(root);

it('finds the published packages, and this package depends on each so that turbo builds them first', async () => {
  const names = published.map((pkg) => pkg.manifest.name);
  expect(names).toEqual(
    expect.arrayContaining([
      '@flockerjs/core-interface',
      '@flockerjs/conformance',
      '@flockerjs/driver-loopback',
    ]),
  );
  const own = JSON.parse(await readFile(join(import.meta.dirname, '..', 'package.json'), 'utf8'));
  const missing = names.filter((name) => own.devDependencies?.[name] !== 'workspace:*');
  expect(missing, 'add these to tooling/repo-checks devDependencies as "workspace:*"').toEqual([]);
});

// attw and publint each spend most of their time starting up: the packages are checked side by side.
describe.concurrent.each(published.map((pkg) => [pkg.manifest.name, pkg] as const))('%s', (_name, pkg) => {
  const dir = join(root, pkg.dir);

  it('is built and ships a LICENSE and a README', ({ expect }) => {
    expect(existsSync(join(dir, 'dist', 'index.d.ts')), `${pkg.dir}/dist is not built`).toBe(true);
    expect(existsSync(join(dir, 'LICENSE'))).toBe(true);
    expect(existsSync(join(dir, 'README.md'))).toBe(true);
  });

  it('publint --strict finds nothing', async ({ expect }) => {
    const { stdout } = await run(bin('publint'), ['run', dir, '--strict', '--pack', 'pnpm']);
    expect(stdout).toContain('All good!');
  });

  it('attw --pack --profile esm-only finds no problem', async ({ expect }) => {
    const result = await run(bin('attw'), ['--pack', dir, '--profile', 'esm-only', '--format', 'json']).catch(
      (error: { stdout?: string; code?: number }) => ({ stdout: error.stdout ?? '', failed: error.code }),
    );
    const report = JSON.parse(result.stdout) as {
      analysis: { packageName: string; types: { kind: string }; entrypoints: Record<string, unknown> };
      problems: Record<string, { resolutionKind?: string }[]>;
    };
    expect(report.analysis.packageName).toBe(pkg.manifest.name);
    expect(report.analysis.types.kind).toBe('included');
    // The esm-only profile ignores what CommonJS and node10 resolution see; anything else is a real problem.
    const real = Object.values(report.problems)
      .flat()
      .filter((problem) => !['node10', 'node16-cjs'].includes(problem.resolutionKind ?? ''));
    expect(real).toEqual([]);
    expect('failed' in result ? result.failed : 0).toBe(0);
  });
});
