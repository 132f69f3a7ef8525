import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  appendEntry,
  emptyLedger,
  type Ledger,
  type LedgerEntryInput,
  parseLedger,
} from './ledger-schema.js';
import { BADGES_DIR, badgeJson, renderStatusTable, STATUS_FILE } from './render.js';
import { computeStatuses } from './status.js';

/** Reads and validates a ledger file; a file that does not exist yet is an empty ledger. */
export async function readLedger(path: string): Promise<Ledger> {
  if (!existsSync(path)) return emptyLedger();
  return parseLedger(await readFile(path, 'utf8'), path);
}

/** Writes the ledger atomically (temp file, then rename), so a killed job never leaves half a file. */
export async function writeLedger(path: string, ledger: Ledger): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(ledger, null, 2)}\n`);
  await rename(temp, path);
}

export async function appendToLedgerFile(path: string, entry: LedgerEntryInput): Promise<Ledger> {
  const ledger = appendEntry(await readLedger(path), entry);
  await writeLedger(path, ledger);
  return ledger;
}

/** Writes `STATUS.md` and `badges/<driver>.json` into `outDir`; returns the paths written. */
export async function renderToDir(ledger: Ledger, outDir: string, asOf?: string): Promise<string[]> {
  const statuses = computeStatuses(ledger, asOf === undefined ? {} : { asOf });
  await mkdir(join(outDir, BADGES_DIR), { recursive: true });
  const written = [join(outDir, STATUS_FILE)];
  await writeFile(written[0] ?? '', renderStatusTable(statuses));
  for (const status of statuses) {
    const path = join(outDir, BADGES_DIR, `${status.driver}.json`);
    await writeFile(path, `${JSON.stringify(badgeJson(status))}\n`);
    written.push(path);
  }
  return written;
}
