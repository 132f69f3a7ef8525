import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { copyWorkspace, ROOT_FILES } from '../src/index.js';

const made: string[] = [];
afterEach(async () => {
  for (const dir of made.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** A workspace root with one package holding what a checkout holds mid-run besides its sources. */
async function workspace(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'flockerjs-copy-source-'));
  made.push(root);
  for (const file of ROOT_FILES) {
    if (file === '.changeset') await mkdir(join(root, file));
    else await writeFile(join(root, file), file.endsWith('.json') ? '{}\n' : '');
  }
  await writeFile(
    join(root, 'tsconfig.json'),
    '{ "references": [{ "path": "./packages/p/tsconfig.json" }] }\n',
  );
  const pkg = join(root, 'packages', 'p');
  for (const dir of ['src', 'dist', 'node_modules', 'test-results', '.turbo'])
    await mkdir(join(pkg, dir), { recursive: true });
  await writeFile(join(pkg, 'package.json'), '{}\n');
  await writeFile(join(pkg, 'src', 'index.ts'), 'export {};\n');
  await writeFile(join(pkg, 'dist', 'index.js'), 'export {};\n');
  await writeFile(join(pkg, 'tsconfig.tsbuildinfo'), '{}\n');
  // pnpm's probe file, there for a moment while a `pnpm run` starts in the package.
  await writeFile(join(pkg, '_tmp_15256_10b03687'), '');
  return root;
}

describe('copyWorkspace', () => {
  it('copies sources and build, never node_modules, test output or pnpm probe files', async () => {
    const copy = await copyWorkspace(await workspace(), { packages: ['packages/p'] });
    made.push(copy);
    expect((await readdir(join(copy, 'packages', 'p'))).sort()).toEqual([
      'dist',
      'package.json',
      'src',
      'tsconfig.tsbuildinfo',
    ]);
  });

  it('leaves nothing behind when the copy fails', async () => {
    const root = await workspace();
    await rm(join(root, 'pnpm-lock.yaml'));
    const scratch = await mkdtemp(join(tmpdir(), 'flockerjs-copy-scratch-'));
    made.push(scratch);
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = scratch;
    try {
      await expect(copyWorkspace(root, { packages: ['packages/p'] })).rejects.toMatchObject({
        code: 'ENOENT',
      });
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
    expect(await readdir(scratch)).toEqual([]);
  });

  it('without dist, leaves the build info behind too', async () => {
    const copy = await copyWorkspace(await workspace(), { packages: ['packages/p'], withDist: false });
    made.push(copy);
    expect((await readdir(join(copy, 'packages', 'p'))).sort()).toEqual(['package.json', 'src']);
  });
});
