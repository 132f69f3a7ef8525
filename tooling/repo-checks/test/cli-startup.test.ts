// Start-up is a benchmark figure (bench/startup.ts); what makes it fast is checked here without a clock: a
// command's --help imports none of the heavy packages.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HEAVY_PACKAGES, heavyImports, publishedCommands, recordImports } from '../src/cli-startup.js';
import { workspaceRoot } from '../src/paths.js';

const root = workspaceRoot(import.meta.dirname);
const commands = await publishedCommands(root);

describe('published commands', () => {
  it('include the certification tool, the agent and the control service', () => {
    expect(commands.map((command) => command.name)).toEqual(
      expect.arrayContaining(['flocker-certify', 'flocker-dataset-agent', 'flocker-control']),
    );
  });

  it.each(commands.map((command) => [command.name, command] as const))(
    '%s --help prints its usage without importing a heavy package',
    async (_name, command) => {
      const run = await recordImports([command.path, '--help']);
      expect(run, run.stderr).toMatchObject({ code: 0 });
      expect(run.stdout).toMatch(/usage/i);
      // The command's own module is recorded: the recorder saw this run.
      expect(run.imports.some((url) => url.endsWith('/dist/cli/main.js'))).toBe(true);
      expect(heavyImports(run.imports)).toEqual([]);
    },
  );
});

it(`the recorder sees a heavy package imported (${HEAVY_PACKAGES.join(', ')})`, async () => {
  const run = await recordImports(
    ['--input-type=module', '-e', "await import('fastify'); await import('prom-client');"],
    join(root, 'packages', 'control-service'),
  );
  expect(run, run.stderr).toMatchObject({ code: 0 });
  expect(heavyImports(run.imports)).toEqual(['fastify', 'prom-client']);
});
