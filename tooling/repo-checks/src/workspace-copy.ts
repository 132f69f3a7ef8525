import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

/** Root files a workspace copy needs to install, lint and version. */
export const ROOT_FILES = [
  'package.json',
  'pnpm-workspace.yaml',
  'pnpm-lock.yaml',
  'README.md',
  'biome.json',
  '.changeset',
];
/** The TypeScript solution: copied with only the copied packages' projects (tools load it, references and all). */
const SOLUTION = 'tsconfig.json';

export interface CopyOptions {
  /** Package folders to copy, relative to the root: `packages/core-interface`. */
  readonly packages: readonly string[];
  /** Keep built `dist/` folders (so dependants need not build them again). @default true */
  readonly withDist?: boolean;
  /** Package folders whose package.json is replaced by this minimal one (say, to drop their dependencies). */
  readonly stubs?: Readonly<Record<string, object>>;
}

/**
 * A copy of part of the workspace in a new temporary directory, without node_modules or test output, for
 * tests that install, generate or version things without touching the real tree. Returns its root.
 */
export async function copyWorkspace(root: string, options: CopyOptions): Promise<string> {
  const dest = await mkdtemp(join(tmpdir(), 'flockerjs-workspace-'));
  const skip = new Set([
    'node_modules',
    'test-results',
    '.turbo',
    ...(options.withDist === false ? ['dist'] : []),
  ]);
  // With dist, its build info and the sources' times come along, so `tsc -b` finds those projects up to date.
  const keepBuild = options.withDist !== false;
  // pnpm probes a package folder with a `_tmp_<pid>_<hex>` file it deletes at once: a copy taken while a `pnpm
  // run` starts there would list it and then fail to stat it.
  const filter = (source: string) =>
    !skip.has(basename(source)) &&
    !basename(source).startsWith('_tmp_') &&
    (keepBuild || !source.endsWith('.tsbuildinfo'));
  const copy = { recursive: true, filter, preserveTimestamps: keepBuild };
  try {
    for (const file of ROOT_FILES) await cp(join(root, file), join(dest, file), copy);
    for (const dir of options.packages) await cp(join(root, dir), join(dest, dir), copy);
    for (const [dir, manifest] of Object.entries(options.stubs ?? {})) {
      await mkdir(join(dest, dir), { recursive: true });
      await writeFile(join(dest, dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    }
    const solution = JSON.parse(await readFile(join(root, SOLUTION), 'utf8')) as {
      references?: { path: string }[];
    };
    solution.references = (solution.references ?? []).filter((ref) =>
      options.packages.some((dir) => ref.path.startsWith(`./${dir}/`)),
    );
    await writeFile(join(dest, SOLUTION), `${JSON.stringify(solution, null, 2)}\n`);
  } catch (error) {
    // A half-made copy is nobody's to clean up later.
    await rm(dest, { recursive: true, force: true });
    throw error;
  }
  return dest;
}
