// The test runs CI makes (tooling/vitest-config): which files the root run leaves to the run as nobody, the share of
// tests that ran as nobody, how the workspace run's report is split by package, and the order files run in.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  LongestFirst,
  NOBODY_REPORT,
  nobodyShare,
  passedAsNobody,
  REPORT,
  type RunRow,
  splitReport,
} from '@flockerjs/vitest-config';
import { afterEach, describe, expect, it } from 'vitest';
import type { TestSpecification } from 'vitest/node';

const made: string[] = [];
afterEach(async () => {
  for (const dir of made.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** A package with the given test files, and the report of a run as nobody seen from another checkout. */
async function pkg(files: readonly string[], nobody?: Record<string, readonly string[]>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'flockerjs-tiers-'));
  made.push(dir);
  for (const file of files) {
    await mkdir(join(dir, file, '..'), { recursive: true });
    await writeFile(join(dir, file), '');
  }
  if (nobody !== undefined) {
    await mkdir(dirname(join(dir, NOBODY_REPORT)));
    const testResults = Object.entries(nobody).map(([file, states]) => ({
      name: `/elsewhere/checkout/packages/x/${file}`,
      status: states.includes('failed') ? 'failed' : 'passed',
      assertionResults: states.map((status) => ({ status })),
    }));
    await writeFile(join(dir, NOBODY_REPORT), JSON.stringify({ testResults }));
  }
  return dir;
}

describe('passedAsNobody', () => {
  it('names the files of which every test passed as nobody, relative to the package', async () => {
    const dir = await pkg([], {
      'test/a.test.ts': ['passed', 'passed'],
      'test/cli/b.test.ts': ['passed'],
      'test/needs-root.test.ts': ['passed', 'skipped'],
      'test/broken.test.ts': ['passed', 'failed'],
      'test/empty.test.ts': [],
    });
    expect(passedAsNobody(dir).sort()).toEqual(['test/a.test.ts', 'test/cli/b.test.ts']);
  });

  it('names none without a report', async () => {
    expect(passedAsNobody(await pkg(['test/a.test.ts']))).toEqual([]);
  });
});

describe('nobodyShare', () => {
  const row = (name: string, files: Record<string, number>, passed: number, skipped = 0): RunRow => ({
    name,
    files: Object.entries(files).map(([path, tests]) => ({ path, tests })),
    passed,
    failed: 0,
    skipped,
  });

  it('counts each test once: files run only as nobody are added to the root run', () => {
    // Nobody: a.test (4, all passed; left out of the root run) and b.test (3 passed, 2 skipped; run again as root).
    const nobody = [row('packages/x', { 'test/a.test.ts': 4, 'test/b.test.ts': 5 }, 7, 2)];
    const root = [row('packages/x', { 'test/b.test.ts': 5, 'test/c.test.ts': 1 }, 6)];
    expect(nobodyShare(root, nobody)).toEqual({ passed: 7, all: 10, share: 0.7 });
  });

  it('is undefined when nothing ran as nobody', () => {
    expect(nobodyShare([row('packages/x', { 'test/a.test.ts': 1 }, 1)], [])).toBeUndefined();
  });
});

describe('splitReport', () => {
  it('gives each package the files under its test folder, matched wherever the run saw the checkout', async () => {
    const root = await mkdtemp(join(tmpdir(), 'flockerjs-split-'));
    made.push(root);
    for (const folder of ['packages/a', 'packages/ab', 'packages/idle', 'tooling/b']) {
      await mkdir(join(root, folder), { recursive: true });
      await writeFile(
        join(root, folder, 'package.json'),
        JSON.stringify({ scripts: { test: 'vitest run' } }),
      );
    }
    const file = (path: string) => ({ name: `/elsewhere/checkout/${path}`, assertionResults: [] });
    const report = join(root, 'report.json');
    await writeFile(
      report,
      JSON.stringify({
        testResults: [
          file('packages/a/test/x.test.ts'),
          file('packages/ab/test/y.test.ts'),
          file('tooling/b/test/cli/z.test.ts'),
        ],
      }),
    );
    splitReport(root, report, REPORT);
    const names = async (folder: string) =>
      JSON.parse(await readFile(join(root, folder, REPORT), 'utf8')).testResults.map(
        (result: { name: string }) => result.name.slice('/elsewhere/checkout/'.length),
      );
    expect(await names('packages/a')).toEqual(['packages/a/test/x.test.ts']);
    expect(await names('packages/ab')).toEqual(['packages/ab/test/y.test.ts']);
    expect(await names('tooling/b')).toEqual(['tooling/b/test/cli/z.test.ts']);
    // A package with no file in the run gets no report, so the summary shows no row for it.
    expect(existsSync(join(root, 'packages/idle', REPORT))).toBe(false);
  });
});

describe('LongestFirst', () => {
  it("runs last time's failures first, then files never timed (conformance suites first), then the longest", async () => {
    const root = '/w';
    const last = new Map([
      [':packages/x/test/short.test.ts', { duration: 10, failed: false }],
      [':packages/x/test/long.test.ts', { duration: 9000, failed: false }],
      [':packages/x/test/broken.test.ts', { duration: 5, failed: true }],
    ]);
    const ctx = { cache: { getFileTestResults: (key: string) => last.get(key) }, config: { root } };
    const spec = (path: string) => ({ project: { name: '' }, moduleId: `${root}/${path}` });
    const files = [
      'packages/x/test/short.test.ts',
      'packages/x/test/new.test.ts',
      'packages/x/test/long.test.ts',
      'packages/d/test/conformance.test.ts',
      'packages/x/test/broken.test.ts',
    ].map(spec);
    const sequencer = new LongestFirst(ctx as unknown as ConstructorParameters<typeof LongestFirst>[0]);
    const sorted = await sequencer.sort(files as unknown as TestSpecification[]);
    expect(sorted.map((file) => file.moduleId.slice(root.length + 1))).toEqual([
      'packages/x/test/broken.test.ts',
      'packages/d/test/conformance.test.ts',
      'packages/x/test/new.test.ts',
      'packages/x/test/long.test.ts',
      'packages/x/test/short.test.ts',
    ]);
  });
});
