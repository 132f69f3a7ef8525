// Prints the driver matrix as one line of JSON, for `fromJSON()` in .github/workflows:
//   pnpm exec tsx tooling/repo-checks/src/cli/driver-matrix.ts               every packages/driver-* package
//   pnpm exec tsx tooling/repo-checks/src/cli/driver-matrix.ts --published   only the published ones (nightly)
import { driverMatrix } from '../driver-matrix.js';
import { workspaceRoot } from '../paths.js';

const matrix = await driverMatrix(workspaceRoot());
const include = process.argv.includes('--published')
  ? matrix.include.filter((entry) => entry.published)
  : matrix.include;
process.stdout.write(`${JSON.stringify({ include })}\n`);
