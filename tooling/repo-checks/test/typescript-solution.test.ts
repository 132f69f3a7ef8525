// `npm test` type-checks through the root tsconfig.json: one `tsc -b` builds every package and checks every
// package's tests in one process (a third of the CPU of one tsc per package). A package missing from it would
// never be type-checked by CI; a missing project reference lets tsc check a package before what it imports is
// built, which only a fresh clone shows.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import {
  declaredReferences,
  expectedReferences,
  readWorkspacePackages,
  testProject,
  type WorkspacePackage,
  workspaceRoot,
} from '../src/index.js';

const root = workspaceRoot(import.meta.dirname);

it('the root tsconfig.json references the project of every package that has a typecheck script, and only those', async () => {
  const expected = (await readWorkspacePackages(root)).flatMap((pkg) => {
    const project = testProject(pkg);
    return project === undefined ? [] : [`./${pkg.dir}/${project}`];
  });
  const solution = JSON.parse(await readFile(join(root, 'tsconfig.json'), 'utf8')) as { files?: unknown[] };
  expect(solution.files, 'a solution compiles no file of its own').toEqual([]);
  expect((await declaredReferences(root, 'tsconfig.json')).sort()).toEqual(expected.sort());
});

it('a typecheck script other than `tsc -p <project>` names no project, and no package has one', async () => {
  const withScript = (typecheck?: string): WorkspacePackage => ({
    dir: 'packages/example',
    manifest: { name: '@flockerjs/example', ...(typecheck === undefined ? {} : { scripts: { typecheck } }) },
  });
  expect(testProject(withScript('tsc -p tsconfig.test.json'))).toBe('tsconfig.test.json');
  for (const script of [
    'tsc --noEmit',
    'tsc -b',
    'tsc -p tsconfig.test.json && vitest run',
    'vue-tsc -p x.json',
  ])
    expect(testProject(withScript(script)), script).toBeUndefined();
  expect(testProject(withScript())).toBeUndefined();
  // Such a package would be left out of the solution, so CI would never type-check it: none may have one.
  const unknown = (await readWorkspacePackages(root))
    .filter((pkg) => (pkg.manifest.scripts as Record<string, string> | undefined)?.typecheck !== undefined)
    .filter((pkg) => testProject(pkg) === undefined)
    .map((pkg) => pkg.dir);
  expect(unknown, 'packages whose typecheck script is not `tsc -p <project>`').toEqual([]);
});

it('every project references the built packages it imports (from package.json), so one tsc -b builds them first', async () => {
  const wrong: string[] = [];
  for (const { config, references } of await expectedReferences(root)) {
    const declared = await declaredReferences(root, config);
    if (JSON.stringify(declared) !== JSON.stringify(references)) {
      wrong.push(`${config}: references ${JSON.stringify(declared)}, expected ${JSON.stringify(references)}`);
    }
  }
  expect(wrong).toEqual([]);
  // The rule itself, on one package whose tests reach built packages through a package consumed as source.
  const bench = (await expectedReferences(root)).find((p) => p.config === 'tooling/bench/tsconfig.test.json');
  expect(bench?.references).toContain('../../packages/linux-block');
});
