// Prints the driver matrix as one line of JSON, for `fromJSON()` in .github/workflows:
//   pnpm exec tsx tooling/repo-checks/src/cli/driver-matrix.ts
import { driverMatrix } from '../driver-matrix.js';
import { workspaceRoot } from '../paths.js';

process.stdout.write(`${JSON.stringify(await driverMatrix(workspaceRoot()))}\n`);
