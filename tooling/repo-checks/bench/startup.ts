// `pnpm bench` figure: start-up of every published command's --help against `node -e 0`, side by side.
// Usage: tsx bench/startup.ts [--runs N] [--json]
import { parseArgs } from 'node:util';
import { measureStartup } from '../src/cli-startup.js';
import { workspaceRoot } from '../src/paths.js';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '20' }, json: { type: 'boolean', default: false } },
});
const figures = await measureStartup(workspaceRoot(import.meta.dirname), { runs: Number(values.runs) });
if (values.json) {
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
} else {
  for (const { name, value, unit } of figures) process.stdout.write(`${name.padEnd(40)} ${value} ${unit}\n`);
}
