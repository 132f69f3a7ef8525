// Preloaded with `node --import` by cli-startup.ts: records the URL of every module the process imports, one
// per line, in the file FLOCKER_RECORD_IMPORTS names. Plain JavaScript, since node loads it as it is. A package
// reached from ESM (as every dependency of our ESM commands is) shows with its entry module.
import { register } from 'node:module';

const log = process.env.FLOCKER_RECORD_IMPORTS;
if (log !== undefined && log !== '') {
  const hooks = `
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, result.url + '\\n');
  return result;
}`;
  register(`data:text/javascript,${encodeURIComponent(hooks)}`);
}
