// Changesets: each package is versioned on its own. In a temporary copy of the workspace's manifests, one
// changeset for core-interface goes through `changeset version`; the changelogs, the bumps of its dependants and
// the real ranges pnpm publishes are then checked.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Manifest, readWorkspacePackages, type WorkspacePackage, workspaceRoot } from '../src/index.js';

const run = promisify(execFile);
const root = workspaceRoot(import.meta.dirname);
const packages = await readWorkspacePackages(root);
let copy = '';

const manifest = async (dir: string): Promise<Manifest> =>
  JSON.parse(await readFile(join(copy, dir, 'package.json'), 'utf8')) as Manifest;
const changelog = (dir: string): Promise<string> => readFile(join(copy, dir, 'CHANGELOG.md'), 'utf8');
const dirOf = (name: string): string => packages.find((pkg) => pkg.manifest.name === name)?.dir ?? '';
/** Published packages that depend (dependencies) on core-interface with workspace:^. */
const dependants = (all: readonly WorkspacePackage[]): WorkspacePackage[] =>
  all.filter(
    (pkg) =>
      pkg.manifest.private !== true &&
      (pkg.manifest.dependencies as Record<string, string> | undefined)?.['@flockerjs/core-interface'] ===
        'workspace:^',
  );

beforeAll(async () => {
  copy = await mkdtemp(join(tmpdir(), 'flockerjs-changesets-'));
  for (const file of ['package.json', 'pnpm-workspace.yaml']) await cp(join(root, file), join(copy, file));
  await mkdir(join(copy, '.changeset'));
  for (const file of ['config.json', 'README.md'])
    await cp(join(root, '.changeset', file), join(copy, '.changeset', file));
  for (const pkg of packages) {
    await mkdir(join(copy, pkg.dir), { recursive: true });
    await cp(join(root, pkg.dir, 'package.json'), join(copy, pkg.dir, 'package.json'));
  }
  // The changelog generator (`@changesets/cli/changelog` in config.json) is resolved from the copy's root.
  await symlink(join(root, 'node_modules'), join(copy, 'node_modules'));
  await writeFile(
    join(copy, '.changeset', 'brave-new-option.md'),
    "---\n'@flockerjs/core-interface': minor\n---\n\nAdd the brave new option.\n",
  );
  await run(join(root, 'node_modules', '.bin', 'changeset'), ['version'], { cwd: copy });
});
afterAll(async () => {
  if (copy !== '') await rm(copy, { recursive: true, force: true });
});

describe('changeset version', () => {
  it('bumps the changed package by its changeset and writes its changelog', async () => {
    const before =
      packages.find((pkg) => pkg.manifest.name === '@flockerjs/core-interface')?.manifest.version ?? '';
    const [major, minor] = before.split('.').map(Number);
    const expected = major === 0 ? `0.${(minor ?? 0) + 1}.0` : `${major}.${(minor ?? 0) + 1}.0`;
    expect((await manifest('packages/core-interface')).version).toBe(expected);
    const log = await changelog('packages/core-interface');
    expect(log).toMatch(
      new RegExp(
        `^# @flockerjs/core-interface\\n\\n## ${expected.replaceAll('.', '\\.')}\\n\\n### Minor Changes\\n\\n- `,
      ),
    );
    expect(log).toContain('Add the brave new option.');
  });

  it('patch-bumps every published dependant, says why, and keeps workspace:^ in the manifest', async () => {
    const core = (await manifest('packages/core-interface')).version;
    const found = dependants(packages);
    expect(found.map((pkg) => pkg.manifest.name)).toContain('@flockerjs/driver-loopback');
    for (const pkg of found) {
      const [major, minor, patch] = (pkg.manifest.version ?? '').split('.').map(Number);
      const after = await manifest(pkg.dir);
      expect(after.version, pkg.manifest.name).toBe(`${major}.${minor}.${(patch ?? 0) + 1}`);
      expect((after.dependencies as Record<string, string>)['@flockerjs/core-interface']).toBe('workspace:^');
      const log = await changelog(pkg.dir);
      expect(log).toContain('### Patch Changes');
      expect(log).toContain('- Updated dependencies');
      expect(log).toContain(`  - @flockerjs/core-interface@${core}`);
    }
  });

  it('bumps conformance by a patch only, as a dependant of linux-block, while its peer range ^0 still holds, and never versions private packages', async () => {
    const conformance = packages.find((pkg) => pkg.manifest.name === '@flockerjs/conformance');
    const [major, minor, patch] = (conformance?.manifest.version ?? '').split('.').map(Number);
    const after = await manifest('packages/conformance');
    expect(after.version).toBe(`${major}.${minor}.${(patch ?? 0) + 1}`);
    expect((after.peerDependencies as Record<string, string>)['@flockerjs/core-interface']).toBe(
      'workspace:^0',
    );
    expect(await changelog('packages/conformance')).toContain('@flockerjs/linux-block@');
    for (const pkg of packages.filter((p) => p.manifest.private === true)) {
      expect((await manifest(pkg.dir)).version, pkg.dir).toBe(pkg.manifest.version);
      expect(existsSync(join(copy, pkg.dir, 'CHANGELOG.md')), pkg.dir).toBe(false);
    }
  });

  it('consumes the changeset', async () => {
    expect((await readdir(join(copy, '.changeset'))).sort()).toEqual(['README.md', 'config.json']);
  });

  it('pnpm pack then publishes the dependants with the new real range', async () => {
    const core = (await manifest('packages/core-interface')).version;
    const dir = join(copy, dirOf('@flockerjs/driver-loopback'));
    // pnpm reads each workspace dependency's version through its link in node_modules, as an install makes it.
    await mkdir(join(dir, 'node_modules', '@flockerjs'), { recursive: true });
    const own = await manifest(dirOf('@flockerjs/driver-loopback'));
    for (const field of ['dependencies', 'devDependencies', 'peerDependencies']) {
      for (const name of Object.keys((own[field] as Record<string, string> | undefined) ?? {})) {
        if (dirOf(name) !== '') await symlink(join(copy, dirOf(name)), join(dir, 'node_modules', name));
      }
    }
    const { stdout } = await run('pnpm', ['pack', '--pack-destination', copy], { cwd: dir });
    const tarball = stdout.trim().split('\n').at(-1) ?? '';
    const packed = JSON.parse(
      (await run('tar', ['-xOzf', tarball, 'package/package.json'])).stdout,
    ) as Manifest;
    expect((packed.dependencies as Record<string, string>)['@flockerjs/core-interface']).toBe(`^${core}`);
  });
});
