import { readFile } from 'node:fs/promises';
import type { LogEntry } from '@flockerjs/core-interface';
import { buildLogTree, renderLogTree } from './log-tree.js';
import { configError } from './usage-error.js';

/** Prints a structured JSON-lines log as a tree of actions. */
export async function logs(file: string): Promise<number> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw configError(`cannot read ${file}: ${error.code ?? error.message}`);
  });
  const entries: LogEntry[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    try {
      entries.push(JSON.parse(line) as LogEntry);
    } catch {
      throw configError(`${file}:${index + 1}: not a JSON log entry`);
    }
  });
  process.stdout.write(renderLogTree(buildLogTree(entries)));
  return 0;
}
