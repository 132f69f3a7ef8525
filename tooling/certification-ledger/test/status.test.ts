import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { computeStatuses, type DriverStatus, parseLedger, previousNight } from '../src/index.js';

const fixture = async (name: string) =>
  parseLedger(await readFile(new URL(`fixtures/${name}`, import.meta.url), 'utf8'), name);

function byDriver(statuses: DriverStatus[]): Record<string, DriverStatus> {
  return Object.fromEntries(statuses.map((status) => [status.driver, status]));
}

describe('computeStatuses on fixtures/nights.json (as of its newest night, 2026-11-25)', async () => {
  const statuses = byDriver(computeStatuses(await fixture('nights.json')));

  it('lists every driver once, sorted', () => {
    expect(Object.keys(statuses)).toEqual([
      'alpha',
      'beta',
      'delta',
      'epsilon',
      'eta',
      'gamma',
      'theta',
      'zeta',
    ]);
    expect(new Set(Object.values(statuses).map((s) => s.asOf))).toEqual(new Set(['2026-11-25']));
  });

  it('7 consecutive green nights: certified, with the 7 runs as evidence', () => {
    const { alpha } = statuses;
    expect(alpha?.status).toBe('certified');
    expect(alpha?.greenStreak).toBe(7);
    expect(alpha?.evidence.map((night) => night.night)).toEqual([
      '2026-11-25',
      '2026-11-24',
      '2026-11-23',
      '2026-11-22',
      '2026-11-21',
      '2026-11-20',
      '2026-11-19',
    ]);
    expect(alpha?.evidence[0]?.runs[0]?.runUrl).toMatch(/^https:\/\/github\.com\/.+\/actions\/runs\/\d+/);
    expect(alpha?.summary).toBe('7 green nights in a row (2026-11-19 to 2026-11-25)');
  });

  it('a missing night breaks the green streak: 9 green nights around a gap are 4 in a row', () => {
    expect(statuses.beta).toMatchObject({ status: 'passing', greenStreak: 4, redStreak: 0 });
    expect(statuses.beta?.evidence.at(-1)?.night).toBe('2026-11-22');
  });

  it('3 consecutive red nights: unsupported, whatever came before', () => {
    expect(statuses.gamma).toMatchObject({ status: 'unsupported', redStreak: 3, greenStreak: 0 });
  });

  it('a flaky night (a pass and a fail) breaks the red streak', () => {
    expect(statuses.delta).toMatchObject({ status: 'failing', redStreak: 2 });
  });

  it('no result on the newest night: missing, and the earlier 7 green nights no longer certify', () => {
    expect(statuses.epsilon).toMatchObject({ status: 'missing', greenStreak: 0, lastNight: '2026-11-24' });
  });

  it('a re-run that fails on the newest night makes it flaky, not certified', () => {
    expect(statuses.zeta).toMatchObject({ status: 'flaky', greenStreak: 0, redStreak: 0 });
    expect(statuses.zeta?.evidence[0]?.runs.map((run) => run.outcome)).toEqual(['pass', 'fail']);
  });

  it('certification is not sticky: one red night after 8 green ones is failing 1/3', () => {
    expect(statuses.eta).toMatchObject({ status: 'failing', redStreak: 1 });
  });

  it('a missing night breaks the red streak too', () => {
    expect(statuses.theta).toMatchObject({ status: 'failing', redStreak: 1 });
  });
});

describe('computeStatuses with asOf', () => {
  it('judges an earlier night from the results up to it only', async () => {
    const statuses = byDriver(computeStatuses(await fixture('nights.json'), { asOf: '2026-11-24' }));
    expect(statuses.epsilon).toMatchObject({ status: 'certified', greenStreak: 7 });
    expect(statuses.eta).toMatchObject({ status: 'certified', greenStreak: 8 });
    expect(statuses.gamma).toMatchObject({ status: 'failing', redStreak: 2 });
    expect(statuses.theta).toMatchObject({ status: 'missing' });
  });

  it('says untested for a driver whose results are all after asOf', async () => {
    const statuses = byDriver(computeStatuses(await fixture('nights.json'), { asOf: '2026-11-15' }));
    expect(statuses.beta).toMatchObject({ status: 'untested', lastNight: undefined });
  });

  it('an empty ledger has no statuses', async () => {
    expect(computeStatuses(await fixture('empty.json'))).toEqual([]);
  });
});

describe('previousNight', () => {
  it('steps back one UTC calendar day across months and leap days', () => {
    expect(previousNight('2026-12-01')).toBe('2026-11-30');
    expect(previousNight('2028-03-01')).toBe('2028-02-29');
    expect(previousNight('2027-01-01')).toBe('2026-12-31');
  });
});
