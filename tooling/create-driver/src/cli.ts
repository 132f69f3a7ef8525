// pnpm new-driver <name>: makes packages/driver-<name> from the template. Exit 0 made, 1 refused, 2 bad usage.
import { workspaceRoot } from '@flockerjs/repo-checks';
import { CreateDriverError, createDriver, nextSteps } from './create-driver.js';

const USAGE = 'usage: pnpm new-driver <name>   (kebab-case, e.g. acme-san; makes packages/driver-<name>)';

const args = process.argv.slice(2).filter((arg) => arg !== '--');
if (args.length !== 1 || args[0]?.startsWith('-')) {
  console.error(USAGE);
  process.exit(args.includes('--help') || args.includes('-h') ? 0 : 2);
}
try {
  console.log(nextSteps(await createDriver(workspaceRoot(), args[0] ?? '')));
} catch (error) {
  if (!(error instanceof CreateDriverError)) throw error;
  console.error(`new-driver: ${error.message}`);
  process.exit(1);
}
