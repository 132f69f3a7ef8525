import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';

/** A package.json as far as these checks read it. */
export interface Manifest {
  readonly name: string;
  readonly version?: string;
  readonly private?: boolean;
  readonly description?: string;
  readonly [field: string]: unknown;
}

export interface WorkspacePackage {
  /** Folder relative to the workspace root, with `/` separators: `packages/driver-loopback`. */
  readonly dir: string;
  readonly manifest: Manifest;
}

/** Folder prefix of driver packages: every `packages/driver-*` folder is a driver (style rule 1). */
export const DRIVER_DIR_PREFIX = 'packages/driver-';

/** Every package of the workspace, from the `packages` globs of pnpm-workspace.yaml (`dir/*` form), by folder. */
export async function readWorkspacePackages(root: string): Promise<WorkspacePackage[]> {
  const config = parse(await readFile(join(root, 'pnpm-workspace.yaml'), 'utf8')) as { packages?: string[] };
  const found: WorkspacePackage[] = [];
  for (const pattern of config.packages ?? []) {
    if (!pattern.endsWith('/*') || pattern.slice(0, -2).includes('*')) {
      throw new Error(`pnpm-workspace.yaml: only "<dir>/*" package globs are understood, got ${pattern}`);
    }
    const parent = pattern.slice(0, -2);
    const entries = await readdir(join(root, parent), { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const manifestPath = join(root, parent, entry.name, 'package.json');
      if (!entry.isDirectory() || !existsSync(manifestPath)) continue;
      const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Manifest;
      found.push({ dir: `${parent}/${entry.name}`, manifest });
    }
  }
  return found.sort((a, b) => (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0));
}

/** The driver packages (`packages/driver-*`), the template included. */
export async function readDriverPackages(root: string): Promise<WorkspacePackage[]> {
  return (await readWorkspacePackages(root)).filter((pkg) => pkg.dir.startsWith(DRIVER_DIR_PREFIX));
}

/** The packages published to npm: every one without `"private": true`. */
export async function readPublishedPackages(root: string): Promise<WorkspacePackage[]> {
  return (await readWorkspacePackages(root)).filter((pkg) => pkg.manifest.private !== true);
}

/** `loopback` for `packages/driver-loopback`. */
export function driverId(pkg: WorkspacePackage): string {
  return pkg.dir.slice(DRIVER_DIR_PREFIX.length);
}

/**
 * `dirs` plus every workspace package they depend on (any dependency field, `workspace:` ranges), transitively,
 * and those the root package.json depends on: what a partial copy of the workspace needs to install.
 */
export async function withWorkspaceDependencies(root: string, dirs: readonly string[]): Promise<string[]> {
  const all = await readWorkspacePackages(root);
  const byName = new Map(all.map((pkg) => [pkg.manifest.name, pkg.dir]));
  const rootManifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as Manifest;
  const wanted = new Set(dirs);
  const queue: Manifest[] = [
    rootManifest,
    ...all.filter((pkg) => wanted.has(pkg.dir)).map((pkg) => pkg.manifest),
  ];
  for (let manifest = queue.shift(); manifest !== undefined; manifest = queue.shift()) {
    for (const field of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies']) {
      for (const [name, range] of Object.entries(
        (manifest[field] as Record<string, string> | undefined) ?? {},
      )) {
        const dir = byName.get(name);
        if (!range.startsWith('workspace:') || dir === undefined || wanted.has(dir)) continue;
        wanted.add(dir);
        const pkg = all.find((p) => p.dir === dir);
        if (pkg !== undefined) queue.push(pkg.manifest);
      }
    }
  }
  return [...wanted].sort();
}
