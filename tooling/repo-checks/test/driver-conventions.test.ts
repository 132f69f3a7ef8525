// Style rule 25: every packages/driver-* package keeps the conventions, checked here rather than by review.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkDriverPackage, checkReadme, readDriverPackages, workspaceRoot } from '../src/index.js';

const root = workspaceRoot(import.meta.dirname);
const drivers = await readDriverPackages(root);

/** What the loader (core-interface `loadBackend`) accepts as a plugin, checked on the driver's own source. */
const pluginShape = z.object({
  name: z.string().min(1),
  needsClusterId: z.boolean(),
  configSchema: z.custom<z.ZodType>((value) => value instanceof z.ZodType, 'expected a zod schema'),
  deployerType: z.literal('block'),
  apiFactory: z.custom<(...args: unknown[]) => unknown>(
    (value) => typeof value === 'function',
    'expected a function',
  ),
});

it('finds the loopback driver and the template among the driver packages', () => {
  expect(drivers.map((pkg) => pkg.dir)).toEqual(
    expect.arrayContaining(['packages/driver-loopback', 'packages/driver-template']),
  );
});

describe.each(drivers.map((pkg) => [pkg.dir, pkg] as const))('%s', (_dir, pkg) => {
  it('has the skeleton, the package.json shape, the README sections and a conformance test', async () => {
    expect(await checkDriverPackage(root, pkg)).toEqual([]);
  });

  it('exports FLOCKER_BACKEND, also as default, with the plugin shape and a documented config schema', async () => {
    const module = (await import(pathToFileURL(join(root, pkg.dir, 'src', 'index.ts')).href)) as Record<
      string,
      unknown
    >;
    expect(module.default).toBe(module.FLOCKER_BACKEND);
    const plugin = pluginShape.parse(module.FLOCKER_BACKEND);
    // Rule 9: every key says what it is; the README's options list repeats these descriptions.
    const schema = z.toJSONSchema(plugin.configSchema, { io: 'input' }) as {
      properties?: Record<string, { description?: string }>;
    };
    const undocumented = Object.entries(schema.properties ?? {})
      .filter(([, property]) => !property.description)
      .map(([key]) => key);
    expect(undocumented, 'config keys without .describe()').toEqual([]);
  });
});

describe('checkDriverPackage', () => {
  it('names every convention a broken driver package breaks', async () => {
    const fixture = await mkdtemp(join(tmpdir(), 'flockerjs-conventions-'));
    try {
      const dir = join(fixture, 'packages', 'driver-broken');
      await mkdir(join(dir, 'src'), { recursive: true });
      await mkdir(join(dir, 'test'), { recursive: true });
      await writeFile(join(dir, 'src', 'index.ts'), 'export const FLOCKER_BACKEND = {};\n');
      await writeFile(join(dir, 'src', 'MyDriver.ts'), '');
      await writeFile(join(dir, 'test', 'conformance.test.ts'), "it('is empty', () => {});\n");
      const manifest = {
        name: '@flockerjs/driver-broken',
        type: 'commonjs',
        dependencies: { '@flockerjs/core-interface': 'workspace:*', zod: '^4.0.0' },
        flockerjs: { conformance: { needsroot: true } },
      };
      const problems = await checkDriverPackage(fixture, { dir: 'packages/driver-broken', manifest });
      expect(problems).toEqual(
        expect.arrayContaining([
          'missing README.md',
          'missing LICENSE',
          'src/MyDriver.ts: file names are kebab-case',
          'package.json: type must be "module" (ESM only)',
          'package.json: sideEffects must be false',
          'package.json: files must include "dist"',
          'package.json: repository.directory must be packages/driver-broken',
          'package.json: dependencies.@flockerjs/core-interface must be workspace:^ (published as a real range)',
          'package.json: dependencies.zod must be pinned exactly',
          'test/conformance.test.ts does not call describeBlockDeviceAPI()',
          'src/index.ts: FLOCKER_BACKEND is not written `satisfies BackendDescription`',
          'src/index.ts: no `export default FLOCKER_BACKEND;`',
        ]),
      );
      expect(
        problems.some((problem) => problem.includes('flockerjs.conformance: Unrecognized key: "needsroot"')),
      ).toBe(true);
    } finally {
      await rm(fixture, { recursive: true, force: true });
    }
  });
});

describe('checkReadme', () => {
  it('names each missing or misplaced section', () => {
    const readme = '# @flockerjs/driver-x\n\n> One sentence.\n\n## Install\n\n## Testing\n\n## Configure\n';
    expect(checkReadme(readme, '@flockerjs/driver-x')).toEqual([
      'README.md: missing section "## Capabilities" (after the ones before it)',
      'README.md: missing section "## Testing" (after the ones before it)',
      'README.md: missing section "## Limitations" (after the ones before it)',
    ]);
    expect(checkReadme('# wrong\ntext', '@flockerjs/driver-x')).toHaveLength(7);
  });
});
