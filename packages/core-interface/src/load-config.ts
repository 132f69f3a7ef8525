import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { type AgentConfig, agentConfigSchema } from './config.js';
import { formatIssues, issueMessages } from './issues.js';

/** Either the validated configuration or every problem found, each as `path.to.key: message`. */
export type LoadResult<T> =
  | { readonly config: T; readonly errors?: undefined }
  | { readonly config?: undefined; readonly errors: readonly string[] };

/** What an empty agent.yml (or one of only comments) is told: zod would say "expected object, received null". */
const EMPTY_FILE =
  '(file): the file is empty; agent.yml must hold at least `version: 1`, `control-service:` with its ' +
  "`hostname`, and `dataset:` with its `backend` (and the backend's own keys)";

/** Validates agent.yml text. */
export function parseAgentConfig(text: string): LoadResult<AgentConfig> {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    return { errors: document.errors.map((error) => `(yaml): ${error.message.split('\n')[0]}`) };
  }
  let data: unknown;
  try {
    data = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // An alias bomb (or any document that cannot become plain data) is a configuration error, not a crash.
    return { errors: [`(yaml): ${(error as Error).message}`] };
  }
  if (data === null || data === undefined) return { errors: [EMPTY_FILE] };
  const parsed = agentConfigSchema.safeParse(data, { error: issueMessages });
  if (!parsed.success) return { errors: formatIssues(parsed.error.issues, [], agentConfigSchema) };
  return { config: parsed.data };
}

/** Reads and validates an agent.yml file. An unreadable file is reported as an error, not thrown. */
export async function loadAgentConfig(path: string): Promise<LoadResult<AgentConfig>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    return { errors: [`(file): cannot read ${path}: ${reason}`] };
  }
  return parseAgentConfig(text);
}
