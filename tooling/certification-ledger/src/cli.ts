// flocker-ledger: keeps the nightly certification ledger and renders the status page.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { appendToLedgerFile, readLedger, renderToDir } from './ledger-file.js';
import { type LedgerEntryInput, OUTCOMES, type Outcome, TARGETS, type Target } from './ledger-schema.js';
import { computeStatuses } from './status.js';

export const USAGE = `usage:
  flocker-ledger append <ledger.json> --driver ID --night YYYY-MM-DD --outcome pass|fail
                 --target cloud|emulator|local --run-url URL [--exit-code N] [--commit SHA]
                 [--package NAME] [--version VERSION]
  flocker-ledger append <ledger.json> --entry result.json   (the same fields as one JSON object)
  flocker-ledger status <ledger.json> [--as-of YYYY-MM-DD] [--json]
  flocker-ledger render <ledger.json> --out DIR [--as-of YYYY-MM-DD]

exit status: 0 done; 1 the ledger or the entry is invalid; 2 bad usage`;

class UsageError extends Error {}

/** Runs one command; returns the exit status. Output goes to `out`, problems to `err`. */
export async function main(
  argv: readonly string[],
  io: { out: (text: string) => void; err: (text: string) => void } = {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  },
): Promise<number> {
  try {
    const [command, ...rest] = argv;
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        driver: { type: 'string' },
        night: { type: 'string' },
        outcome: { type: 'string' },
        target: { type: 'string' },
        'run-url': { type: 'string' },
        'exit-code': { type: 'string' },
        commit: { type: 'string' },
        package: { type: 'string' },
        version: { type: 'string' },
        'as-of': { type: 'string' },
        json: { type: 'boolean' },
        out: { type: 'string' },
        entry: { type: 'string' },
      },
    });
    const [ledgerPath, ...extra] = positionals;
    if (ledgerPath === undefined || extra.length > 0) throw new UsageError('give exactly one ledger file');
    const asOf = values['as-of'];
    switch (command) {
      case 'append': {
        if (values.entry !== undefined) {
          const fields = JSON.parse(await readFile(values.entry, 'utf8')) as Record<string, unknown>;
          const ledger = await appendToLedgerFile(ledgerPath, {
            ...(fields as unknown as LedgerEntryInput),
            recordedAt: new Date().toISOString(),
          });
          io.out(`${ledgerPath}: ${ledger.entries.length} entries\n`);
          return 0;
        }
        const outcome = oneOf(values.outcome, OUTCOMES, '--outcome') as Outcome;
        const target = oneOf(values.target, TARGETS, '--target') as Target;
        const ledger = await appendToLedgerFile(ledgerPath, {
          driver: required(values.driver, '--driver'),
          night: required(values.night, '--night'),
          outcome,
          target,
          runUrl: required(values['run-url'], '--run-url'),
          recordedAt: new Date().toISOString(),
          ...(values['exit-code'] === undefined ? {} : { exitCode: Number(values['exit-code']) }),
          ...(values.commit === undefined ? {} : { commit: values.commit }),
          ...(values.package === undefined ? {} : { package: values.package }),
          ...(values.version === undefined ? {} : { version: values.version }),
        });
        io.out(`${ledgerPath}: ${ledger.entries.length} entries\n`);
        return 0;
      }
      case 'status': {
        const statuses = computeStatuses(await readLedger(ledgerPath), asOf === undefined ? {} : { asOf });
        if (values.json === true) io.out(`${JSON.stringify(statuses, null, 2)}\n`);
        else for (const s of statuses) io.out(`${s.driver}: ${s.status} (${s.summary})\n`);
        return 0;
      }
      case 'render': {
        const written = await renderToDir(await readLedger(ledgerPath), required(values.out, '--out'), asOf);
        io.out(`${written.join('\n')}\n`);
        return 0;
      }
      default:
        throw new UsageError(command === undefined ? 'missing command' : `unknown command ${command}`);
    }
  } catch (error) {
    const usage =
      error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    io.err(`flocker-ledger: ${(error as Error).message}\n${usage ? `${USAGE}\n` : ''}`);
    return usage ? 2 : 1;
  }
}

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new UsageError(`${flag} is required`);
  return value;
}

function oneOf(value: string | undefined, allowed: readonly string[], flag: string): string {
  const given = required(value, flag);
  if (!allowed.includes(given)) throw new UsageError(`${flag} must be one of ${allowed.join(', ')}`);
  return given;
}
