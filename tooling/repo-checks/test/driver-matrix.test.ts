import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  DRIVERS_END,
  DRIVERS_START,
  driverMatrix,
  driverSettings,
  judgeConformance,
  readDriverPackages,
  renderDriversTable,
  replaceDriversTable,
  updateReadme,
  workspaceRoot,
} from '../src/index.js';

const run = promisify(execFile);
const root = workspaceRoot(import.meta.dirname);

describe('driverMatrix', () => {
  it('has one entry per packages/driver-* package, with its settings', async () => {
    const { include } = await driverMatrix(root);
    expect(include.map((entry) => entry.dir)).toEqual((await readDriverPackages(root)).map((pkg) => pkg.dir));
    expect(include.find((entry) => entry.driver === 'template')).toEqual({
      driver: 'template',
      package: '@flockerjs/driver-template',
      dir: 'packages/driver-template',
      published: false,
      needsRoot: true,
      env: '{}',
      timeoutMinutes: 20,
      cloud: '',
      setup: '',
    });
    expect(include.find((entry) => entry.driver === 'loopback')).toMatchObject({
      package: '@flockerjs/driver-loopback',
      published: true,
      needsRoot: true,
    });
  });

  it('is what the CLI prints for the workflows, as one line of JSON', async () => {
    const tsx = join(import.meta.dirname, '..', 'node_modules', '.bin', 'tsx');
    const { stdout } = await run(tsx, ['tooling/repo-checks/src/cli/driver-matrix.ts'], { cwd: root });
    expect(stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(stdout)).toEqual(await driverMatrix(root));
  });
});

describe('driverSettings (package.json "flockerjs")', () => {
  const pkg = (flockerjs: unknown) => ({
    dir: 'packages/driver-x',
    manifest: { name: '@flockerjs/driver-x', flockerjs },
  });

  it('defaults every key', () => {
    expect(driverSettings(pkg(undefined))).toEqual({
      conformance: { needsRoot: true, env: {}, timeoutMinutes: 20 },
      certify: {},
    });
  });

  it('takes explicit settings', () => {
    const settings = driverSettings(
      pkg({
        conformance: { needsRoot: false, env: { FLOCKER_EBS_EMULATOR: '1' } },
        certify: { cloud: 'aws', setup: 'certify/setup.sh' },
      }),
    );
    expect(settings.conformance).toEqual({
      needsRoot: false,
      env: { FLOCKER_EBS_EMULATOR: '1' },
      timeoutMinutes: 20,
    });
    expect(settings.certify).toEqual({ cloud: 'aws', setup: 'certify/setup.sh' });
  });

  it('names every bad key, with the package', () => {
    const attempt = () =>
      driverSettings(
        pkg({
          conformance: { needsroot: true, env: { PATH: '/evil' } },
          certify: { setup: '../x.sh', cloud: 'gce' },
        }),
      );
    expect(attempt).toThrow(/^packages\/driver-x\/package\.json: /);
    expect(attempt).toThrow(/flockerjs\.conformance: Unrecognized key: "needsroot"/);
    expect(attempt).toThrow(/flockerjs\.conformance\.env\.PATH/);
    expect(attempt).toThrow(/flockerjs\.certify\.setup: must stay inside the package/);
    expect(attempt).toThrow(/flockerjs\.certify\.cloud/);
  });
});

describe('the README drivers table', () => {
  it('is up to date (regenerate: pnpm exec tsx tooling/repo-checks/src/cli/docs.ts)', async () => {
    expect(await updateReadme(root, { check: true })).toBe(false);
  });

  it('lists every driver package with its status and, when published, a live certification badge', async () => {
    const table = renderDriversTable(await readDriverPackages(root));
    expect(table).toMatch(/^<!-- auto-generated .*do not edit -->$/m);
    expect(table).toMatch(
      /^\| \[`@flockerjs\/driver-template`\]\(packages\/driver-template\) +\| private +\| not certified \(private\) +\|/m,
    );
    expect(table).toContain(
      `![certification](https://img.shields.io/endpoint?url=${encodeURIComponent('https://raw.githubusercontent.com/flockerjs/flockerjs/certification-ledger/badges/loopback.json')})`,
    );
  });

  it('replaces only what is between the markers, and refuses a README without them', () => {
    const readme = `intro\n${DRIVERS_START}\nold\n${DRIVERS_END}\noutro\n`;
    expect(replaceDriversTable(readme, 'new')).toBe(`intro\n${DRIVERS_START}\nnew\n${DRIVERS_END}\noutro\n`);
    expect(() => replaceDriversTable('no markers', 'new')).toThrow(/needs the markers/);
  });

  it('sits in README.md under a "Drivers" heading', async () => {
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    expect(readme).toMatch(new RegExp(`## Drivers\\n[^#]*${DRIVERS_START}`));
  });
});

describe('judgeConformance', () => {
  it('passes a run with passes and no failure, and fails a failed or all-skipped one', () => {
    expect(judgeConformance({ numPassedTests: 35, numFailedTests: 0, numPendingTests: 3 })).toEqual({
      ok: true,
      summary: '35 passed, 0 failed, 3 skipped',
    });
    expect(judgeConformance({ numPassedTests: 34, numFailedTests: 1, numPendingTests: 3 }).ok).toBe(false);
    expect(judgeConformance({ numPassedTests: 0, numFailedTests: 0, numPendingTests: 38 })).toEqual({
      ok: false,
      summary: '0 passed, 0 failed, 38 skipped: every test was skipped, nothing was proved',
    });
  });
});
