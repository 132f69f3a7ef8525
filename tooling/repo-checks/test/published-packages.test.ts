// Every published package is a devDependency of this one, so that turbo builds them before the pack test
// (pack-install.slow.test.ts), which also runs publint and attw on each tarball.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { readPublishedPackages, workspaceRoot } from '../src/index.js';

const root = workspaceRoot(import.meta.dirname);
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
