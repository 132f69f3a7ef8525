export { main, USAGE } from './cli.js';
export { appendToLedgerFile, readLedger, renderToDir, writeLedger } from './ledger-file.js';
export {
  appendEntry,
  DRIVER_ID,
  emptyLedger,
  LEDGER_VERSION,
  type Ledger,
  type LedgerEntry,
  type LedgerEntryInput,
  ledgerEntrySchema,
  ledgerSchema,
  OUTCOMES,
  type Outcome,
  parseLedger,
  TARGETS,
  type Target,
} from './ledger-schema.js';
export {
  BADGES_DIR,
  badgeEndpointUrl,
  badgeJson,
  badgeMessage,
  LEDGER_BRANCH,
  LEDGER_FILE,
  renderStatusTable,
  repositorySlug,
  STATUS_FILE,
  staticBadgeUrl,
} from './render.js';
export {
  CERTIFIED_AFTER_NIGHTS,
  computeStatuses,
  type DriverStatus,
  type NightEvidence,
  type NightResult,
  previousNight,
  STATUSES,
  type Status,
  UNSUPPORTED_AFTER_NIGHTS,
} from './status.js';
