import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { updateReadme } from '@flockerjs/repo-checks';
import { invalidNameReason, substitute } from './names.js';

/** Where the template lives and where new drivers go, relative to the workspace root. */
export const TEMPLATE_DIR = 'packages/driver-template';
export const PACKAGES_DIR = 'packages';
/** The package whose devDependencies list every published package, so turbo builds them before its checks. */
export const REPO_CHECKS_MANIFEST = 'tooling/repo-checks/package.json';
/** The root TypeScript solution: one build of every package and one check of every package's tests. */
export const SOLUTION_CONFIG = 'tsconfig.json';
/** Build output and local state that is never copied from the template. */
const SKIPPED = new Set(['node_modules', 'dist', 'test-results', '.turbo', 'CHANGELOG.md']);

export interface CreatedDriver {
  readonly name: string;
  readonly packageName: string;
  /** Relative to the workspace root: `packages/driver-acme`. */
  readonly dir: string;
  /** Every file written or changed, relative to the workspace root. */
  readonly files: readonly string[];
}

/** Refused input: an invalid name, or a folder that exists. Nothing was written. */
export class CreateDriverError extends Error {
  override readonly name = 'CreateDriverError';
}

/**
 * Copies the template to `packages/driver-<name>` with both placeholders replaced in file contents and file
 * names, makes it a publishable package, and registers it: README drivers table, repo-checks, the root
 * TypeScript solution, a changeset.
 * The CI and nightly matrices need nothing: they are generated from `packages/driver-*`.
 * @throws {CreateDriverError} for an invalid name or an existing folder, before writing anything.
 */
export async function createDriver(root: string, name: string): Promise<CreatedDriver> {
  const reason = invalidNameReason(name);
  if (reason !== undefined)
    throw new CreateDriverError(`invalid driver name ${JSON.stringify(name)}: ${reason}`);
  const dir = `${PACKAGES_DIR}/driver-${name}`;
  const target = join(root, dir);
  if (existsSync(target)) throw new CreateDriverError(`${dir} already exists; refusing to overwrite it`);
  const template = join(root, TEMPLATE_DIR);
  if (!existsSync(join(template, 'package.json')))
    throw new CreateDriverError(`no template at ${TEMPLATE_DIR}`);

  // Built beside the target and renamed into place, so a failure never leaves half a package behind.
  const staging = join(root, PACKAGES_DIR, `.driver-${name}.${process.pid}.tmp`);
  const files: string[] = [];
  try {
    for (const file of await templateFiles(template)) {
      const to = join(staging, substitute(file, name));
      await mkdir(dirname(to), { recursive: true });
      if (file === 'LICENSE') await cp(join(template, file), to);
      else await writeFile(to, substitute(await readFile(join(template, file), 'utf8'), name));
      files.push(`${dir}/${relative(staging, to)}`);
    }
    await writeManifest(join(staging, 'package.json'), name, dir);
    await rename(staging, target);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }

  await formatPackage(root, dir);
  const packageName = `@flockerjs/driver-${name}`;
  const changeset = `.changeset/new-driver-${name}.md`;
  await writeFile(
    join(root, changeset),
    `---\n'${packageName}': minor\n---\n\nFirst release of \`${packageName}\`, the flockerjs ${name} backend.\n`,
    { flag: 'wx' },
  );
  files.push(changeset);
  if (await registerInRepoChecks(root, packageName)) files.push(REPO_CHECKS_MANIFEST);
  if (await registerInSolution(root, dir)) files.push(SOLUTION_CONFIG);
  if (await updateReadme(root)) files.push('README.md');
  return { name, packageName, dir, files };
}

/** The next steps printed after a driver is made. */
export function nextSteps(created: CreatedDriver): string {
  return [
    `Created ${created.dir} (${created.packageName}) from ${TEMPLATE_DIR}.`,
    'Registered it in: README.md (drivers table), tooling/repo-checks (package checks), tsconfig.json,',
    `.changeset/new-driver-${created.name}.md (first release). The CI and nightly matrices find it by its folder.`,
    '',
    'Next steps:',
    '  1. pnpm install',
    `  2. sudo env "PATH=$PATH" pnpm turbo run test --filter=${created.packageName}`,
    '     (conformance passes as generated; without root it is reported skipped)',
    `  3. grep -rn 'TODO(driver-author)' ${created.dir}`,
    '     and replace the in-memory stand-in with your storage system client, one TODO at a time',
    '  4. Read CONTRIBUTING.md, "Writing a driver": the contract, the test plan, certification, publishing.',
  ].join('\n');
}

/**
 * Formats the new package and sorts its imports as the repository's Biome settings say: the names replaced the
 * placeholders, so line breaks and import order may differ from the template's.
 */
async function formatPackage(root: string, dir: string): Promise<void> {
  const biome = join(root, 'node_modules', '.bin', 'biome');
  if (!existsSync(biome)) return;
  await promisify(execFile)(biome, ['check', '--write', dir], { cwd: root });
}

async function templateFiles(template: string, prefix = ''): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(join(template, prefix), { withFileTypes: true })) {
    if (SKIPPED.has(entry.name) || entry.name.endsWith('.tsbuildinfo')) continue;
    const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) files.push(...(await templateFiles(template, path)));
    else if (entry.isFile()) files.push(path);
  }
  return files.sort();
}

/** The template's manifest made into a new, publishable package. */
async function writeManifest(path: string, name: string, dir: string): Promise<void> {
  const manifest = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  const { private: _private, ...rest } = manifest;
  const repository = { ...(rest.repository as Record<string, unknown>), directory: dir };
  const result = { ...rest, name: `@flockerjs/driver-${name}`, version: '0.0.0', repository };
  await writeFile(path, `${JSON.stringify(result, null, 2)}\n`);
}

/**
 * Adds the package's test project to the root `tsconfig.json`, whose one `tsc -b` builds every package and checks
 * every package's tests (`npm test`); false when there is no such file.
 */
async function registerInSolution(root: string, dir: string): Promise<boolean> {
  const path = join(root, SOLUTION_CONFIG);
  if (!existsSync(path)) return false;
  const solution = JSON.parse(await readFile(path, 'utf8')) as { references?: { path: string }[] };
  const references = [...(solution.references ?? []), { path: `./${dir}/tsconfig.test.json` }];
  solution.references = references.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  await writeFile(path, `${JSON.stringify(solution, null, 2)}\n`);
  return true;
}

/** Adds the package to repo-checks' devDependencies (sorted); false when that package is absent. */
async function registerInRepoChecks(root: string, packageName: string): Promise<boolean> {
  const path = join(root, REPO_CHECKS_MANIFEST);
  if (!existsSync(path)) return false;
  const manifest = JSON.parse(await readFile(path, 'utf8')) as { devDependencies?: Record<string, string> };
  const entries = Object.entries({ ...manifest.devDependencies, [packageName]: 'workspace:*' });
  manifest.devDependencies = Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  await writeFile(path, `${JSON.stringify(manifest, null, 2)}\n`);
  return true;
}
