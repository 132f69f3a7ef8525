// Generates a driver into a temporary copy of the workspace, installs the copy offline from pnpm's store, and
// runs the new package's type check, lint and whole test suite (conformance included, on loop devices as root).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  checkDriverPackage,
  copyWorkspace,
  readDriverPackages,
  withWorkspaceDependencies,
  workspaceRoot,
} from '@flockerjs/repo-checks';
import { AFTER_NOBODY_VARIABLE, TIER_VARIABLE } from '@flockerjs/vitest-config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateDriverError, createDriver, nextSteps } from '../src/index.js';

const run = promisify(execFile);
const root = workspaceRoot(import.meta.dirname);
const isRoot = process.getuid?.() === 0;
// The generated package's tests run whole, as generated: not in the tier (`npm test -- --slow`) this file runs in.
const { [TIER_VARIABLE]: _tier, [AFTER_NOBODY_VARIABLE]: _afterNobody, ...outerEnv } = process.env;
const env = { ...outerEnv, CI: '1', TURBO_TELEMETRY_DISABLED: '1' };
/** Installs the copy from pnpm's store only: the new package's dependencies are the template's. */
const install = (cwd: string) =>
  run('pnpm', ['install', '--offline', '--no-frozen-lockfile', '--config.confirmModulesPurge=false'], {
    cwd,
    env,
  });
let copy = '';
/** The copy's offline install, and the generated package's build, lint and whole suite, on a loaded machine. */
const LONG_MS = 900_000;

beforeAll(async () => {
  copy = await copyWorkspace(root, {
    // The template and what it (and the root package.json) depends on.
    packages: await withWorkspaceDependencies(root, ['packages/driver-template']),
    // The real repo-checks depends on every published package; the copy only needs the list the generator edits.
    stubs: {
      'tooling/repo-checks': {
        name: '@flockerjs/repo-checks',
        version: '0.0.0',
        private: true,
        devDependencies: {},
      },
    },
  });
  // As on a fresh clone: the workspace is installed before `pnpm new-driver` runs.
  await install(copy);
}, LONG_MS);
afterAll(async () => {
  if (copy !== '') await rm(copy, { recursive: true, force: true });
});

async function filesUnder(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'test-results') continue;
    const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    out.push(...(entry.isDirectory() ? await filesUnder(dir, path) : [path]));
  }
  return out;
}

describe('createDriver into a copy of the workspace', () => {
  it('makes packages/driver-acme-san with every placeholder replaced, in contents and file names', async () => {
    const created = await createDriver(copy, 'acme-san');
    expect(created).toMatchObject({
      name: 'acme-san',
      packageName: '@flockerjs/driver-acme-san',
      dir: 'packages/driver-acme-san',
    });
    const dir = join(copy, created.dir);
    const files = await filesUnder(dir);
    expect(files).toEqual(
      expect.arrayContaining([
        'src/acme-san-driver.ts',
        'src/acme-san-client.ts',
        'test/acme-san-driver.test.ts',
        'LICENSE',
      ]),
    );
    expect(files.filter((file) => file.includes('dist') || file.endsWith('.tsbuildinfo'))).toEqual([]);
    let todos = 0;
    for (const file of files) {
      expect(file).not.toMatch(/__driver_name__|__DriverName__/);
      const text = await readFile(join(dir, file), 'utf8');
      expect(text, file).not.toMatch(/__driver_name__|__DriverName__/);
      todos += text.split('TODO(driver-author)').length - 1;
    }
    expect(todos, 'the TODO(driver-author) markers stay for the vendor').toBeGreaterThan(10);
    expect(await readFile(join(dir, 'src', 'acme-san-driver.ts'), 'utf8')).toContain(
      'export class AcmeSanDriver implements IBlockDeviceAPI',
    );

    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
    expect(manifest).toMatchObject({ name: '@flockerjs/driver-acme-san', version: '0.0.0' });
    expect(manifest.repository.directory).toBe('packages/driver-acme-san');
    expect(manifest).not.toHaveProperty('private');
  });

  it('registers it: README table, repo-checks, the TypeScript solution, a changeset; and keeps the driver conventions', async () => {
    const readme = await readFile(join(copy, 'README.md'), 'utf8');
    expect(readme).toContain('| [`@flockerjs/driver-acme-san`](packages/driver-acme-san) | published |');
    const checks = JSON.parse(await readFile(join(copy, 'tooling/repo-checks/package.json'), 'utf8'));
    expect(checks.devDependencies).toEqual({ '@flockerjs/driver-acme-san': 'workspace:*' });
    const solution = JSON.parse(await readFile(join(copy, 'tsconfig.json'), 'utf8'));
    expect(solution.references).toContainEqual({ path: './packages/driver-acme-san/tsconfig.test.json' });
    expect(await readFile(join(copy, '.changeset/new-driver-acme-san.md'), 'utf8')).toMatch(
      /^---\n'@flockerjs\/driver-acme-san': minor\n---\n/,
    );
    const pkg = (await readDriverPackages(copy)).find((p) => p.dir === 'packages/driver-acme-san');
    expect(pkg && (await checkDriverPackage(copy, pkg))).toEqual([]);
    expect(
      nextSteps({
        name: 'acme-san',
        packageName: '@flockerjs/driver-acme-san',
        dir: 'packages/driver-acme-san',
        files: [],
      }),
    ).toContain('pnpm turbo run test --filter=@flockerjs/driver-acme-san');
  });

  it('refuses to overwrite the folder, or to take an invalid name, writing nothing', async () => {
    const before = await filesUnder(join(copy, 'packages'));
    await expect(createDriver(copy, 'acme-san')).rejects.toThrow(CreateDriverError);
    await expect(createDriver(copy, 'acme-san')).rejects.toThrow('packages/driver-acme-san already exists');
    await expect(createDriver(copy, 'Bad_Name')).rejects.toThrow(
      /invalid driver name "Bad_Name": use kebab-case/,
    );
    await expect(createDriver(copy, 'loopback')).rejects.toThrow(/reserved/);
    expect(await filesUnder(join(copy, 'packages'))).toEqual(before);
  });

  it(
    'the generated package installs offline, type-checks, lints and passes its tests as generated',
    async () => {
      const offline = { ...env, npm_config_offline: 'true' };
      await run(
        'pnpm',
        ['install', '--offline', '--no-frozen-lockfile', '--config.confirmModulesPurge=false'],
        { cwd: copy, env: offline },
      );
      const pkg = join(copy, 'packages/driver-acme-san');
      // The tests are type-checked against the built declarations, as the root `tsc -b` does after the build.
      await run('pnpm', ['exec', 'tsc', '-b'], { cwd: pkg, env: offline });
      expect(existsSync(join(pkg, 'dist', 'index.d.ts'))).toBe(true);
      await run('pnpm', ['exec', 'tsc', '-p', 'tsconfig.test.json'], { cwd: pkg, env: offline });
      await run(
        join(copy, 'node_modules/.bin/biome'),
        ['check', '--error-on-warnings', 'packages/driver-acme-san'],
        { cwd: copy, env: offline },
      );
      await run('pnpm', ['exec', 'vitest', 'run'], { cwd: pkg, env: offline });
      const report = JSON.parse(await readFile(join(pkg, 'test-results/vitest.json'), 'utf8'));
      expect(report.numFailedTests).toBe(0);
      const conformance = report.testResults.find((file: { name: string }) =>
        file.name.endsWith('conformance.test.ts'),
      );
      const statuses = conformance.assertionResults.map((test: { status: string }) => test.status);
      if (isRoot) {
        expect(statuses.filter((status: string) => status === 'passed').length).toBeGreaterThanOrEqual(30);
      } else {
        // Without root the stand-in cannot make loop devices: every conformance test is reported skipped.
        expect(new Set(statuses)).toEqual(new Set(['skipped']));
      }
    },
    LONG_MS,
  );
});
