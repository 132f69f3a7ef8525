import type { Ledger, LedgerEntry, Outcome } from './ledger-schema.js';

/** Consecutive green nights that make a driver certified. */
export const CERTIFIED_AFTER_NIGHTS = 7;
/** Consecutive red nights that make a driver unsupported. */
export const UNSUPPORTED_AFTER_NIGHTS = 3;

/** What one night was for one driver: every run passed, every run failed, or both happened (flaky). */
export type NightResult = 'green' | 'red' | 'flaky';

export const STATUSES = [
  'certified',
  'unsupported',
  'passing',
  'failing',
  'flaky',
  'missing',
  'untested',
] as const;
export type Status = (typeof STATUSES)[number];

export interface NightEvidence {
  readonly night: string;
  readonly result: NightResult;
  readonly runs: readonly { readonly outcome: Outcome; readonly runUrl: string }[];
}

export interface DriverStatus {
  readonly driver: string;
  readonly status: Status;
  /** Green nights in a row ending on the `asOf` night (0 when that night is not green). */
  readonly greenStreak: number;
  /** Red nights in a row ending on the `asOf` night (0 when that night is not red). */
  readonly redStreak: number;
  /** The night statuses are computed for. */
  readonly asOf: string;
  /** The nights of the current streak, newest first (the `asOf` night alone when it is flaky). */
  readonly evidence: readonly NightEvidence[];
  /** The newest night this driver has a result for, or `undefined`. */
  readonly lastNight: string | undefined;
  /** One line for humans: "7 green nights in a row (2026-11-19 to 2026-11-25)". */
  readonly summary: string;
}

/**
 * Each driver's status on the night `asOf` (default: the newest night in the ledger), from its trailing streak.
 *
 * - Nights are UTC calendar dates. "Consecutive" means consecutive dates: a night without a result for the
 *   driver (the nightly did not run, or did not reach it) breaks both streaks, as does a flaky night (a pass
 *   and a fail the same night, say a re-run).
 * - `certified`: the last {@link CERTIFIED_AFTER_NIGHTS} nights were all green. `unsupported`: the last
 *   {@link UNSUPPORTED_AFTER_NIGHTS} were all red. Neither is sticky: one red night ends certification.
 * - Otherwise the running state: `passing` (n/7), `failing` (n/3), `flaky`, `missing` (no result on the
 *   `asOf` night), or `untested` (no result ever).
 */
export function computeStatuses(ledger: Ledger, options: { readonly asOf?: string } = {}): DriverStatus[] {
  const asOf = options.asOf ?? newestNight(ledger.entries);
  const byDriver = new Map<string, LedgerEntry[]>();
  for (const entry of ledger.entries) {
    byDriver.set(entry.driver, [...(byDriver.get(entry.driver) ?? []), entry]);
  }
  return [...byDriver.keys()].sort().map((driver) => driverStatus(driver, byDriver.get(driver) ?? [], asOf));
}

function driverStatus(
  driver: string,
  entries: readonly LedgerEntry[],
  asOf: string | undefined,
): DriverStatus {
  const nights = new Map<string, NightEvidence>();
  for (const entry of entries) {
    if (asOf !== undefined && entry.night > asOf) continue;
    const runs = [...(nights.get(entry.night)?.runs ?? []), { outcome: entry.outcome, runUrl: entry.runUrl }];
    nights.set(entry.night, { night: entry.night, result: nightResult(runs), runs });
  }
  const lastNight = [...nights.keys()].sort().at(-1);
  const base = { driver, asOf: asOf ?? '', lastNight };
  if (asOf === undefined || lastNight === undefined) {
    return {
      ...base,
      status: 'untested',
      greenStreak: 0,
      redStreak: 0,
      evidence: [],
      summary: 'no results yet',
    };
  }
  const tonight = nights.get(asOf);
  if (tonight === undefined) {
    return {
      ...base,
      status: 'missing',
      greenStreak: 0,
      redStreak: 0,
      evidence: [],
      summary: `no result on ${asOf} (last result ${lastNight})`,
    };
  }
  if (tonight.result === 'flaky') {
    return {
      ...base,
      status: 'flaky',
      greenStreak: 0,
      redStreak: 0,
      evidence: [tonight],
      summary: `passed and failed on ${asOf}`,
    };
  }
  const streak: NightEvidence[] = [];
  for (let night = asOf; ; night = previousNight(night)) {
    const evidence = nights.get(night);
    if (evidence?.result !== tonight.result) break;
    streak.push(evidence);
  }
  const green = tonight.result === 'green';
  const needed = green ? CERTIFIED_AFTER_NIGHTS : UNSUPPORTED_AFTER_NIGHTS;
  const reached = streak.length >= needed;
  const status: Status = green ? (reached ? 'certified' : 'passing') : reached ? 'unsupported' : 'failing';
  const span = streak.length === 1 ? asOf : `${streak.at(-1)?.night} to ${asOf}`;
  const count = reached ? `${streak.length}` : `${streak.length}/${needed}`;
  return {
    ...base,
    status,
    greenStreak: green ? streak.length : 0,
    redStreak: green ? 0 : streak.length,
    evidence: streak,
    summary: `${count} ${tonight.result} night${streak.length === 1 ? '' : 's'} in a row (${span})`,
  };
}

function nightResult(runs: readonly { readonly outcome: Outcome }[]): NightResult {
  const passed = runs.some((run) => run.outcome === 'pass');
  const failed = runs.some((run) => run.outcome === 'fail');
  return passed && failed ? 'flaky' : passed ? 'green' : 'red';
}

function newestNight(entries: readonly LedgerEntry[]): string | undefined {
  return entries
    .map((entry) => entry.night)
    .sort()
    .at(-1);
}

/** The calendar date before `night` (YYYY-MM-DD, UTC). */
export function previousNight(night: string): string {
  const date = new Date(`${night}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() - 1);
  return date.toISOString().slice(0, 10);
}
