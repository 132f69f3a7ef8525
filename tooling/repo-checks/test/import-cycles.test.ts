import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findCycles, importGraph, readWorkspacePackages, workspaceRoot } from '../src/index.js';

const root = workspaceRoot(import.meta.dirname);
const packages = await readWorkspacePackages(root);

// A cycle makes module evaluation order depend on which file is imported first, and generated drivers inherit
// the template's; every package's own files, tests included, form none.
describe.each(packages.map((pkg) => [pkg.dir] as const))('%s', (dir) => {
  it('has no import cycle', async () => {
    const cycles = findCycles(await importGraph(join(root, dir)), root);
    expect(cycles.map((cycle) => cycle.join(' -> '))).toEqual([]);
  });
});

describe('findCycles', () => {
  const scratch = mkdtemp(join(tmpdir(), 'flockerjs-cycles-'));
  afterAll(async () => rm(await scratch, { recursive: true, force: true }));

  async function write(files: Record<string, string>): Promise<string> {
    const dir = await mkdtemp(join(await scratch, 'pkg-'));
    for (const [name, text] of Object.entries(files)) {
      await mkdir(dirname(join(dir, name)), { recursive: true });
      await writeFile(join(dir, name), text);
    }
    return dir;
  }

  it('names each cycle as a closed path, through type-only, re-export and dynamic imports alike', async () => {
    const dir = await write({
      'src/a.ts': "import { b } from './b.js';\nexport const a = b;\n",
      'src/b.ts': "import type { C } from './c.js';\nexport const b = 1;\n",
      'src/c.ts': "export * from './a.js';\nexport type C = number;\n",
      'src/d.ts': "export const d = () => import('./e.js');\n",
      'src/e.ts': "import { d } from './d.js';\nexport const e = d;\n",
      'src/fine.ts': "import { a } from './a.js';\nimport { z } from 'zod';\nexport const f = [a, z];\n",
    });
    expect(findCycles(await importGraph(dir), dir)).toEqual([
      ['src/a.ts', 'src/b.ts', 'src/c.ts', 'src/a.ts'],
      ['src/d.ts', 'src/e.ts', 'src/d.ts'],
    ]);
  });

  it('finds a file that imports itself, and nothing in a tree without cycles', async () => {
    const looped = await write({ 'src/self.ts': "export * from './self.js';\n" });
    expect(findCycles(await importGraph(looped), looped)).toEqual([['src/self.ts', 'src/self.ts']]);
    const tree = await write({
      'src/index.ts': "export * from './x.js';\nexport * from './y.js';\n",
      'src/x.ts': "import { y } from './y.js';\nexport const x = y;\n",
      'src/y.ts': 'export const y = 1;\n',
      'test/x.test.ts': "import { x } from '../src/index.js';\nexport const t = x;\n",
    });
    expect(findCycles(await importGraph(tree), tree)).toEqual([]);
  });
});
