// Regenerates the tables the READMEs repeat from their one source: the "Drivers" table of README.md from
// packages/driver-*/package.json, and the contract table of core-interface's README from src/driver.ts.
//   pnpm exec tsx tooling/repo-checks/src/cli/docs.ts           rewrite them
//   pnpm exec tsx tooling/repo-checks/src/cli/docs.ts --check   exit 1 when one is out of date
import { CONTRACT_README, updateContractTable } from '../contract-table.js';
import { updateReadme } from '../drivers-table.js';
import { workspaceRoot } from '../paths.js';

const check = process.argv.includes('--check');
const root = workspaceRoot();
const tables = [
  { file: 'README.md', what: 'drivers table', changed: await updateReadme(root, { check }) },
  { file: CONTRACT_README, what: 'contract table', changed: await updateContractTable(root, { check }) },
];
for (const { file, what, changed } of tables) {
  if (check && changed) {
    console.error(
      `${file}: the ${what} is out of date; run pnpm exec tsx tooling/repo-checks/src/cli/docs.ts`,
    );
  } else {
    console.log(`${file}: ${what} ${changed ? 'regenerated' : 'up to date'}`);
  }
}
if (check && tables.some((table) => table.changed)) process.exit(1);
