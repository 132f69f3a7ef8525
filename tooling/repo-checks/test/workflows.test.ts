// The workflows are checked offline by action-validator (the SchemaStore schemas, compiled to WASM; installed
// from npm, unlike actionlint's npm wrapper, which downloads a binary from GitHub), plus what this repository
// relies on them to do.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { validateWorkflow } from '@action-validator/core';
import { LEDGER_BRANCH } from '@flockerjs/certification-ledger';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readDriverPackages, workspaceRoot } from '../src/index.js';

const root = workspaceRoot(import.meta.dirname);
const dir = join(root, '.github', 'workflows');
const files = (await readdir(dir)).filter((file) => /\.ya?ml$/.test(file)).sort();
const read = (file: string) => readFile(join(dir, file), 'utf8');
/** A GitHub Actions expression as YAML holds it: `${{ ... }}`. */
const gh = (expression: string): string => `\${{ ${expression} }}`;

interface Step {
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Record<string, unknown>;
}
interface Job {
  readonly needs?: string | string[];
  readonly permissions?: Record<string, string>;
  readonly strategy?: { readonly matrix?: unknown };
  readonly outputs?: Record<string, string>;
  readonly steps: Step[];
}
const jobs = async (file: string) => (parse(await read(file)) as { jobs: Record<string, Job> }).jobs;

it('has the three workflows', () => {
  expect(files).toEqual(expect.arrayContaining(['ci.yml', 'nightly.yml', 'release.yml']));
});

describe.each(files)('%s', (file) => {
  it('passes action-validator', async () => {
    expect(validateWorkflow(await read(file)).errors).toEqual([]);
  });

  it('runs only scripts that exist (tooling/openstack-real/setup.sh only behind a check that it does)', async () => {
    const text = await read(file);
    const paths = [...text.matchAll(/\b(?:tooling|scripts|packages)\/[\w./-]+\.(?:ts|js|mjs|sh)\b/g)].map(
      (m) => m[0],
    );
    const missing = paths.filter(
      (path) => !existsSync(join(root, path)) && path !== 'tooling/openstack-real/setup.sh',
    );
    expect(missing).toEqual([]);
    if (text.includes('tooling/openstack-real/setup.sh')) {
      expect(text).toContain('[ -f tooling/openstack-real/setup.sh ]');
    }
  });
});

describe('the linter', () => {
  it('catches the mistakes of a broken fixture workflow', async () => {
    const broken = await readFile(join(import.meta.dirname, 'fixtures', 'workflows', 'broken.yml'), 'utf8');
    const report = JSON.stringify(validateWorkflow(broken).errors);
    expect(report).toContain("Additional property 'pull_requestt' is not allowed");
    expect(report).toContain("Additional property 'stepz' is not allowed");
    expect(report).toContain('/jobs/build/steps/0');
  });
});

describe('ci.yml', () => {
  it('runs both tiers of npm test, then one conformance job per driver from the generated matrix', async () => {
    const ci = await jobs('ci.yml');
    expect(ci.test?.steps.some((step) => step.run?.includes('npm test -- --fast'))).toBe(true);
    expect(ci.slow?.steps.some((step) => step.run?.includes('npm test -- --slow'))).toBe(true);
    expect(ci.test?.outputs?.drivers).toBe(gh('steps.drivers.outputs.matrix'));
    expect(ci.test?.steps.find((step) => step.run?.includes('driver-matrix.ts'))?.run).toContain(
      '>> "$GITHUB_OUTPUT"',
    );
    expect(ci.conformance?.needs).toBe('test');
    expect(ci.conformance?.strategy?.matrix).toBe(gh('fromJSON(needs.test.outputs.drivers)'));
    expect(ci.conformance?.steps.filter((step) => step.run?.includes('src/cli/conformance.ts'))).toHaveLength(
      2,
    );
  });

  it('names no driver: a new one joins without editing YAML', async () => {
    const text = await read('ci.yml');
    for (const pkg of await readDriverPackages(root)) {
      expect(text).not.toContain(pkg.manifest.name);
      expect(text).not.toContain(pkg.dir);
    }
  });
});

describe('nightly.yml', () => {
  it('certifies every published driver with flocker-certify, on real clouds when it has credentials', async () => {
    const nightly = await jobs('nightly.yml');
    expect(nightly.drivers?.steps.some((step) => step.run?.includes('driver-matrix.ts --published'))).toBe(
      true,
    );
    const certify = nightly.certify;
    expect(certify?.strategy?.matrix).toBe(gh('fromJSON(needs.drivers.outputs.matrix)'));
    expect(certify?.permissions).toMatchObject({ 'id-token': 'write' });
    const aws = certify?.steps.find((step) =>
      step.uses?.startsWith('aws-actions/configure-aws-credentials@'),
    );
    expect(aws?.with?.['role-to-assume']).toBe(gh('secrets.AWS_CERTIFY_ROLE_ARN'));
    const run = certify?.steps.find((step) => step.run?.includes('flocker-certify'))?.run ?? '';
    expect(run).toMatch(
      /flocker-certify --config "\$FLOCKER_CERTIFY_CONFIG" "\$\{peer\[@\]\}" \\\n\s+--report-dir "\$REPORT_DIR" --json/,
    );
    // A set-up that makes a second node (the EC2 emulator's instance B) hands it over as peer.yml.
    expect(run).toContain('--peer-config "$REPORT_DIR/peer.yml"');
    expect(certify?.steps.some((step) => step.uses?.startsWith('actions/upload-artifact@'))).toBe(true);
  });

  it('appends the results to the ledger branch with flocker-ledger', async () => {
    const ledger = (await jobs('nightly.yml')).ledger;
    expect(ledger?.permissions).toEqual({ contents: 'write' });
    const text = ledger?.steps.map((step) => step.run ?? '').join('\n') ?? '';
    expect(text).toContain('flocker-ledger.js append ledger-branch/ledger.json --entry');
    expect(text).toContain('flocker-ledger.js render');
    expect(text).toContain(`git push origin HEAD:${LEDGER_BRANCH}`);
  });
});

describe('release.yml', () => {
  it('publishes through changesets/action with npm provenance', async () => {
    const { release } = await jobs('release.yml');
    expect(release?.permissions).toMatchObject({ 'id-token': 'write', contents: 'write' });
    const action = release?.steps.find((step) => step.uses?.startsWith('changesets/action@'));
    expect(action?.with).toMatchObject({
      publish: 'pnpm changeset publish',
      version: 'pnpm changeset version',
    });
    expect(action?.env?.NPM_CONFIG_PROVENANCE).toBe(true);
  });
});
