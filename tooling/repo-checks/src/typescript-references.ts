import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { readWorkspacePackages, type WorkspacePackage } from './workspace.js';

/** Dependency fields whose packages a package's own source imports. */
const RUNTIME_FIELDS = ['dependencies', 'peerDependencies', 'optionalDependencies'] as const;
/** Its tests may import these too. */
const TEST_FIELDS = [...RUNTIME_FIELDS, 'devDependencies'] as const;

/** A tsconfig file and the project references it must declare, as written in it (relative paths). */
export interface ProjectReferences {
  /** Relative to the workspace root: `packages/conformance/tsconfig.json`. */
  readonly config: string;
  readonly references: readonly string[];
}

/**
 * The project references every tsconfig of the workspace needs so that one `tsc -b` over the root solution
 * builds packages before whatever imports them: a package's `tsconfig.json` references the built workspace
 * packages its source depends on; its test project (`tsc -p <project>` in its typecheck script) references its
 * own build and every built package its tests reach, directly or through a package consumed as source (the
 * tooling packages have no build, so their dependencies are compiled into the test program).
 */
export async function expectedReferences(root: string): Promise<ProjectReferences[]> {
  const packages = await readWorkspacePackages(root);
  const byName = new Map(packages.map((pkg) => [pkg.manifest.name, pkg]));
  const built = (pkg: WorkspacePackage) => isBuilt(root, pkg);
  const builtPackages = new Map<string, boolean>();
  for (const pkg of packages) builtPackages.set(pkg.dir, await built(pkg));

  /** Built packages reached from `pkg`'s `fields`, through source packages. */
  const reached = (pkg: WorkspacePackage, fields: readonly string[], seen = new Set<string>()): string[] => {
    const out: string[] = [];
    for (const name of workspaceDependencies(pkg, fields)) {
      const dep = byName.get(name);
      if (dep === undefined || dep.dir === pkg.dir || seen.has(dep.dir)) continue;
      seen.add(dep.dir);
      if (builtPackages.get(dep.dir)) out.push(dep.dir);
      else out.push(...reached(dep, RUNTIME_FIELDS, seen));
    }
    return out;
  };
  const refsFrom = (configDir: string, dirs: readonly string[]) =>
    [...new Set(dirs)].map((dir) => relative(join(root, configDir), join(root, dir))).sort();

  const result: ProjectReferences[] = [];
  for (const pkg of packages) {
    const isBuiltPackage = builtPackages.get(pkg.dir) === true;
    if (isBuiltPackage) {
      result.push({
        config: `${pkg.dir}/tsconfig.json`,
        references: refsFrom(pkg.dir, reached(pkg, RUNTIME_FIELDS)),
      });
    }
    const project = testProject(pkg);
    if (project === undefined || (isBuiltPackage && project === 'tsconfig.json')) continue;
    const own = isBuiltPackage ? ['./tsconfig.json'] : [];
    result.push({
      config: `${pkg.dir}/${project}`,
      references: [...own, ...refsFrom(pkg.dir, reached(pkg, TEST_FIELDS))],
    });
  }
  return result;
}

/** The project references a tsconfig declares, as written. */
export async function declaredReferences(root: string, config: string): Promise<string[]> {
  const json = JSON.parse(await readFile(join(root, config), 'utf8')) as { references?: { path: string }[] };
  return (json.references ?? []).map((ref) => ref.path);
}

/**
 * The project a package's typecheck script checks, when that script is exactly `tsc -p <project>`; undefined for
 * no script or any other command, whose project cannot be known without guessing.
 */
export function testProject(pkg: WorkspacePackage): string | undefined {
  const script = (pkg.manifest.scripts as Record<string, string> | undefined)?.typecheck;
  return script === undefined ? undefined : /^tsc -p (\S+)$/.exec(script)?.[1];
}

function workspaceDependencies(pkg: WorkspacePackage, fields: readonly string[]): string[] {
  return fields.flatMap((field) =>
    Object.entries((pkg.manifest[field] as Record<string, string> | undefined) ?? {})
      .filter(([, range]) => range.startsWith('workspace:'))
      .map(([name]) => name),
  );
}

/** A package whose tsconfig.json emits (`outDir`): others are consumed as TypeScript source. */
async function isBuilt(root: string, pkg: WorkspacePackage): Promise<boolean> {
  const config = join(root, pkg.dir, 'tsconfig.json');
  if (!existsSync(config)) return false;
  const json = JSON.parse(await readFile(config, 'utf8')) as { compilerOptions?: { outDir?: string } };
  return json.compilerOptions?.outDir !== undefined;
}
