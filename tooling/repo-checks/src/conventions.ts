import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { driverSettings } from './driver-settings.js';
import type { Manifest, WorkspacePackage } from './workspace.js';

/**
 * Files every driver package has (style rules 1, 5, 11). CHANGELOG.md is written by changesets on release. The
 * conformance test is `test/conformance.test.ts`, or one `test/conformance-<variant>.test.ts` per variant (say,
 * per device naming scheme), each calling describeBlockDeviceAPI.
 */
export const DRIVER_SKELETON = [
  'package.json',
  'README.md',
  'LICENSE',
  'tsconfig.json',
  'tsconfig.test.json',
  'vitest.config.ts',
  'src/index.ts',
  'src/config.ts',
] as const;

/** `conformance.test.ts` or `conformance-<variant>.test.ts`. */
const CONFORMANCE_TEST = /^conformance(?:-[a-z0-9]+)*\.test\.ts$/;

/** The template package, whose README title is the placeholder form of a driver's name. */
export const TEMPLATE_DIR = 'packages/driver-template';

/** The README's sections, in this order (style rule 23). */
export const README_SECTIONS = ['Install', 'Configure', 'Capabilities', 'Testing', 'Limitations'] as const;

/** kebab-case, with the template's placeholders allowed, plus dotted suffixes: `ebs-client.test.ts`. */
const KEBAB_FILE = /^[a-z0-9]+(?:-[a-z0-9]+)*(?:\.[a-z0-9]+)*$/;

/** Every convention a driver package breaks, one line each; empty when it keeps them all. */
export async function checkDriverPackage(root: string, pkg: WorkspacePackage): Promise<string[]> {
  const dir = join(root, pkg.dir);
  const problems: string[] = [];
  for (const file of DRIVER_SKELETON) {
    if (!existsSync(join(dir, file))) problems.push(`missing ${file}`);
  }
  for (const sub of ['src', 'test']) {
    for (const file of await listFiles(join(dir, sub))) {
      const name = basename(file).replaceAll('__driver_name__', 'x');
      if (!KEBAB_FILE.test(name)) problems.push(`${sub}/${file}: file names are kebab-case`);
    }
  }
  problems.push(...checkManifest(pkg));
  if (existsSync(join(dir, 'README.md'))) {
    // The template's title is its generated packages' name, with the placeholder as Markdown must escape it.
    const title = pkg.dir === TEMPLATE_DIR ? '@flockerjs/driver-\\_\\_driver_name\\_\\_' : pkg.manifest.name;
    problems.push(...checkReadme(await readFile(join(dir, 'README.md'), 'utf8'), title));
  }
  const conformanceTests = (await readdir(join(dir, 'test')).catch(() => [])).filter((f) =>
    CONFORMANCE_TEST.test(f),
  );
  if (conformanceTests.length === 0) problems.push('missing test/conformance.test.ts');
  for (const file of conformanceTests) {
    if (!(await callsSuite(join(dir, 'test'), file))) {
      problems.push(`test/${file} does not call describeBlockDeviceAPI()`);
    }
  }
  const index = join(dir, 'src', 'index.ts');
  if (existsSync(index)) {
    const text = await readFile(index, 'utf8');
    if (!/\}\s*satisfies\s+BackendDescription\b/.test(text)) {
      problems.push('src/index.ts: FLOCKER_BACKEND is not written `satisfies BackendDescription`');
    }
    if (!/^export default FLOCKER_BACKEND;$/m.test(text))
      problems.push('src/index.ts: no `export default FLOCKER_BACKEND;`');
  }
  return problems;
}

/** The package.json shape of rule 2, and the `flockerjs` field. */
export function checkManifest(pkg: WorkspacePackage): string[] {
  const m = pkg.manifest;
  const problems: string[] = [];
  const expect = (ok: boolean, message: string) => {
    if (!ok) problems.push(`package.json: ${message}`);
  };
  expect(m.name === `@flockerjs/${basename(pkg.dir)}`, `name must be @flockerjs/${basename(pkg.dir)}`);
  expect(typeof m.description === 'string' && m.description !== '', 'needs a description');
  expect(typeof m.license === 'string', 'needs a license');
  expect(m.type === 'module', 'type must be "module" (ESM only)');
  expect(m.sideEffects === false, 'sideEffects must be false');
  const exports = m.exports as Record<string, unknown> | undefined;
  const main = exports?.['.'] as { types?: unknown; default?: unknown } | undefined;
  expect(
    main?.types === './dist/index.d.ts' && main?.default === './dist/index.js',
    'exports["."] must be { types: ./dist/index.d.ts, default: ./dist/index.js }',
  );
  expect(exports?.['./package.json'] === './package.json', 'exports must include "./package.json"');
  expect(Array.isArray(m.files) && (m.files as unknown[]).includes('dist'), 'files must include "dist"');
  expect(typeof (m.engines as { node?: unknown } | undefined)?.node === 'string', 'engines.node is required');
  const repository = m.repository as { directory?: unknown } | undefined;
  expect(repository?.directory === pkg.dir, `repository.directory must be ${pkg.dir}`);
  for (const field of ['dependencies', 'peerDependencies'] as const) {
    for (const [name, range] of Object.entries((m[field] as Record<string, string> | undefined) ?? {})) {
      if (name.startsWith('@flockerjs/')) {
        expect(
          range.startsWith('workspace:^'),
          `${field}.${name} must be workspace:^ (published as a real range)`,
        );
      } else {
        expect(
          /^\d+\.\d+\.\d+$/.test(range) || field === 'peerDependencies',
          `${field}.${name} must be pinned exactly`,
        );
      }
    }
  }
  expect(
    internal(m, 'dependencies').includes('@flockerjs/core-interface'),
    'dependencies must include @flockerjs/core-interface',
  );
  try {
    driverSettings(pkg);
  } catch (error) {
    problems.push((error as Error).message);
  }
  return problems;
}

/** H1 package name, a one-sentence blockquote, then the sections of rule 23 in order. */
export function checkReadme(text: string, name: string): string[] {
  const problems: string[] = [];
  const lines = text.split('\n');
  if (lines[0] !== `# ${name}`) problems.push(`README.md: first line must be "# ${name}"`);
  const firstText = lines.slice(1).find((line) => line.trim() !== '');
  if (!firstText?.startsWith('> '))
    problems.push('README.md: the H1 must be followed by a one-sentence blockquote');
  const headings = lines.filter((line) => line.startsWith('## ')).map((line) => line.slice(3).trim());
  let from = 0;
  for (const section of README_SECTIONS) {
    const at = headings.indexOf(section, from);
    if (at === -1) problems.push(`README.md: missing section "## ${section}" (after the ones before it)`);
    else from = at + 1;
  }
  return problems;
}

function internal(m: Manifest, field: string): string[] {
  return Object.keys((m[field] as Record<string, string> | undefined) ?? {}).filter((n) =>
    n.startsWith('@flockerjs/'),
  );
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const files: string[] = [];
  for (const entry of entries) {
    if (entry.isDirectory())
      files.push(...(await listFiles(join(dir, entry.name), `${prefix}${entry.name}/`)));
    else files.push(`${prefix}${entry.name}`);
  }
  return files;
}

/**
 * Whether a test file runs the suite: it calls describeBlockDeviceAPI(), or a helper of its own folder does
 * (one file per variant of a shared runner, as driver-ebs has for its device modes).
 */
async function callsSuite(testDir: string, file: string): Promise<boolean> {
  const source = await readFile(join(testDir, file), 'utf8');
  if (/\bdescribeBlockDeviceAPI\(/.test(source)) return true;
  for (const [, helper] of source.matchAll(/from '\.\/([\w.-]+)\.js'/g)) {
    const helperSource = await readFile(join(testDir, `${helper}.ts`), 'utf8').catch(() => '');
    if (/\bdescribeBlockDeviceAPI\(/.test(helperSource)) return true;
  }
  return false;
}
