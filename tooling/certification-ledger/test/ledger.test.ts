import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  appendEntry,
  badgeJson,
  computeStatuses,
  emptyLedger,
  ledgerSchema,
  main,
  parseLedger,
  readLedger,
  renderStatusTable,
  repositorySlug,
  staticBadgeUrl,
} from '../src/index.js';

const fixtures = new URL('fixtures/', import.meta.url);
const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'flockerjs-ledger-'));
  dirs.push(dir);
  return dir;
}

const entry = {
  driver: 'loopback',
  night: '2026-11-25',
  outcome: 'pass',
  target: 'local',
  runUrl: 'https://github.com/flockerjs/flockerjs/actions/runs/7/attempts/1',
  recordedAt: '2026-11-25T03:10:00Z',
} as const;

describe('the ledger schema', () => {
  it('refuses another version, naming it', async () => {
    const text = await readFile(new URL('future-version.json', fixtures), 'utf8');
    expect(() => parseLedger(text, 'future-version.json')).toThrow(
      /future-version\.json: invalid ledger:\n {2}- version:/,
    );
  });

  it('lists every problem of a bad entry', async () => {
    const text = await readFile(new URL('invalid-entry.json', fixtures), 'utf8');
    const message = (() => {
      try {
        parseLedger(text);
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    })();
    for (const key of ['driver', 'night', 'outcome', 'runUrl', 'recordedAt']) {
      expect(message).toContain(`entries.0.${key}:`);
    }
  });

  it('appending the same run twice keeps one entry; another run adds one', () => {
    const once = appendEntry(emptyLedger(), entry);
    const twice = appendEntry(once, { ...entry, outcome: 'fail' });
    expect(twice.entries).toHaveLength(1);
    expect(twice.entries[0]?.outcome).toBe('fail');
    const other = appendEntry(twice, { ...entry, runUrl: `${entry.runUrl.slice(0, -1)}2` });
    expect(other.entries).toHaveLength(2);
    expect(ledgerSchema.parse(other)).toEqual(other);
  });
});

describe('rendering', () => {
  it('renders one row per driver with a badge, the streak and the evidence links', async () => {
    const ledger = parseLedger(await readFile(new URL('nights.json', fixtures), 'utf8'));
    const page = renderStatusTable(computeStatuses(ledger));
    expect(page).toContain('Status as of the night of 2026-11-25');
    const alpha = page.split('\n').find((line) => line.startsWith('| `alpha` |')) ?? '';
    expect(alpha).toContain('![certified](https://img.shields.io/badge/certification-certified-brightgreen)');
    expect(alpha.match(/\]\(https:\/\/github\.com\/flockerjs\/flockerjs\/actions\/runs\//g)).toHaveLength(7);
    const beta = page.split('\n').find((line) => line.startsWith('| `beta` |')) ?? '';
    expect(beta).toContain('passing%204%2F7-green');
  });

  it('escapes dashes and underscores in static badges, as shields.io requires', () => {
    expect(staticBadgeUrl('a-b_c', 'x y', 'red')).toBe('https://img.shields.io/badge/a--b__c-x%20y-red');
  });

  it('makes shields.io endpoint documents', () => {
    const [status] = computeStatuses(appendEntry(emptyLedger(), { ...entry, outcome: 'fail' }));
    expect(status && badgeJson(status)).toEqual({
      schemaVersion: 1,
      label: 'loopback certification',
      message: 'failing 1/3',
      color: 'orange',
    });
  });

  it('reads the GitHub slug from a package.json repository field', () => {
    expect(repositorySlug({ type: 'git', url: 'git+https://github.com/flockerjs/flockerjs.git' })).toBe(
      'flockerjs/flockerjs',
    );
    expect(repositorySlug('https://gitlab.com/a/b')).toBeUndefined();
  });
});

describe('flocker-ledger', () => {
  function capture() {
    const io = { stdout: '', stderr: '' };
    const sinks = {
      out: (text: string) => {
        io.stdout += text;
      },
      err: (text: string) => {
        io.stderr += text;
      },
    };
    return { io, sinks };
  }

  it('append creates the ledger, status reads it, render writes the page and the badges', async () => {
    const dir = await tempDir();
    const ledger = join(dir, 'ledger.json');
    const args = ['--driver', 'loopback', '--night', '2026-11-25', '--outcome', 'pass', '--target', 'local'];
    const { io, sinks } = capture();
    expect(
      await main(['append', ledger, ...args, '--run-url', entry.runUrl, '--exit-code', '0'], sinks),
    ).toBe(0);
    expect((await readLedger(ledger)).entries).toMatchObject([{ driver: 'loopback', exitCode: 0 }]);
    expect(await main(['status', ledger], sinks)).toBe(0);
    expect(io.stdout).toContain('loopback: passing (1/7 green night in a row (2026-11-25))');
    expect(await main(['render', ledger, '--out', dir], sinks)).toBe(0);
    expect(JSON.parse(await readFile(join(dir, 'badges', 'loopback.json'), 'utf8')).message).toBe(
      'passing 1/7',
    );
    expect(await readFile(join(dir, 'STATUS.md'), 'utf8')).toContain('| `loopback` |');
  });

  it('append --entry takes the fields from the JSON file the nightly job writes, and refuses a bad one', async () => {
    const dir = await tempDir();
    const ledger = join(dir, 'ledger.json');
    const { recordedAt: _recordedAt, ...fields } = entry;
    await writeFile(join(dir, 'result.json'), JSON.stringify({ ...fields, exitCode: 1, outcome: 'fail' }));
    const { io, sinks } = capture();
    expect(await main(['append', ledger, '--entry', join(dir, 'result.json')], sinks)).toBe(0);
    expect((await readLedger(ledger)).entries).toMatchObject([
      { driver: 'loopback', outcome: 'fail', exitCode: 1 },
    ]);
    await writeFile(join(dir, 'bad.json'), JSON.stringify({ ...fields, night: 'tonight' }));
    expect(await main(['append', ledger, '--entry', join(dir, 'bad.json')], sinks)).toBe(1);
    expect(io.stderr).toContain('invalid ledger entry:\n  - night:');
    expect((await readLedger(ledger)).entries).toHaveLength(1);
  });

  it('exits 2 on bad usage and 1 on an invalid ledger, without touching it', async () => {
    const dir = await tempDir();
    const { io, sinks } = capture();
    expect(await main(['append', join(dir, 'l.json'), '--outcome', 'green'], sinks)).toBe(2);
    expect(io.stderr).toContain('usage:');
    expect(await main(['frobnicate', 'x'], sinks)).toBe(2);
    const bad = new URL('invalid-entry.json', fixtures).pathname;
    expect(await main(['status', bad], sinks)).toBe(1);
    expect(io.stderr).toContain('invalid ledger');
  });
});
