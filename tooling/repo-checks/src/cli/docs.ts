// Regenerates the "Drivers" table of README.md from packages/driver-*/package.json:
//   pnpm exec tsx tooling/repo-checks/src/cli/docs.ts           rewrite README.md
//   pnpm exec tsx tooling/repo-checks/src/cli/docs.ts --check   exit 1 when README.md is out of date
import { updateReadme } from '../drivers-table.js';
import { workspaceRoot } from '../paths.js';

const check = process.argv.includes('--check');
const changed = await updateReadme(workspaceRoot(), { check });
if (check && changed) {
  console.error(
    'README.md: the drivers table is out of date; run pnpm exec tsx tooling/repo-checks/src/cli/docs.ts',
  );
  process.exit(1);
}
console.log(changed ? 'README.md: drivers table regenerated' : 'README.md: drivers table up to date');
