// The test tiers CI runs (tooling/vitest-config): which files the root run leaves to the run as nobody, and the
// share of tests that ran as nobody.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { NOBODY_REPORT, nobodyShare, passedAsNobody, type RunRow } from '@flockerjs/vitest-config';
import { afterEach, describe, expect, it } from 'vitest';

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
