import { z } from 'zod';

/** The ledger format's version; a change that old readers would misread bumps it. */
export const LEDGER_VERSION = 1;
/** What one nightly `flocker-certify` run of one driver gave: exit 0 is `pass`, anything else `fail`. */
export const OUTCOMES = ['pass', 'fail'] as const;
export type Outcome = (typeof OUTCOMES)[number];
/** What the run was certified against. */
export const TARGETS = ['cloud', 'emulator', 'local'] as const;
export type Target = (typeof TARGETS)[number];

/** Driver ids are the package folder names after `driver-`: `loopback`, `ebs`. */
export const DRIVER_ID = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

/** One driver's result in one nightly run. The ledger only ever grows by these. */
export const ledgerEntrySchema = z
  .strictObject({
    driver: z
      .string()
      .regex(DRIVER_ID, 'must be a kebab-case driver id')
      .describe('Driver id, e.g. `loopback`.'),
    package: z.string().min(1).optional().describe('npm package name, e.g. `@flockerjs/driver-loopback`.'),
    version: z.string().min(1).optional().describe('Version of the package that was certified.'),
    night: z.iso
      .date()
      .describe('The UTC calendar date of the scheduled run (YYYY-MM-DD): the night the result counts for.'),
    outcome: z.enum(OUTCOMES).describe('`pass` when flocker-certify exited 0, `fail` otherwise.'),
    exitCode: z
      .int()
      .min(0)
      .max(255)
      .optional()
      .describe("flocker-certify's exit code (2: bad usage or config)."),
    target: z.enum(TARGETS).describe('`cloud` (real credentials), `emulator`, or `local` (loop devices).'),
    runUrl: z.url().describe('The workflow run (attempt) that produced the result: the evidence.'),
    commit: z
      .string()
      .regex(/^[0-9a-f]{7,40}$/, 'must be a git commit id')
      .optional()
      .describe('The commit that was tested.'),
    recordedAt: z.iso.datetime({ offset: true }).describe('When the entry was appended.'),
  })
  .describe('One nightly certification result.');

/** The whole ledger file: versioned, entries in the order they were appended. */
export const ledgerSchema = z
  .strictObject({
    version: z.literal(LEDGER_VERSION),
    entries: z.array(ledgerEntrySchema),
  })
  .describe('The certification ledger kept on the certification-ledger branch.');

export type LedgerEntry = z.output<typeof ledgerEntrySchema>;
export type LedgerEntryInput = z.input<typeof ledgerEntrySchema>;
export type Ledger = z.output<typeof ledgerSchema>;

/** An empty ledger of the current version. */
export function emptyLedger(): Ledger {
  return { version: LEDGER_VERSION, entries: [] };
}

/**
 * Parses ledger JSON text.
 * @throws one error listing every problem as `path: message`.
 */
export function parseLedger(text: string, source = 'ledger'): Ledger {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${source}: not JSON: ${(error as Error).message}`);
  }
  const parsed = ledgerSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
  );
  throw new Error(`${source}: invalid ledger:\n  - ${problems.join('\n  - ')}`);
}

/**
 * The ledger with `entry` appended, validated. A second result for the same driver from the same run URL (a
 * retried upload) replaces the first, so appending is idempotent.
 */
export function appendEntry(ledger: Ledger, entry: LedgerEntryInput): Ledger {
  const parsed = ledgerEntrySchema.safeParse(entry);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(entry)'}: ${issue.message}`,
    );
    throw new Error(`invalid ledger entry:\n  - ${problems.join('\n  - ')}`);
  }
  const valid = parsed.data;
  const others = ledger.entries.filter((e) => !(e.driver === valid.driver && e.runUrl === valid.runUrl));
  return { version: LEDGER_VERSION, entries: [...others, valid] };
}
