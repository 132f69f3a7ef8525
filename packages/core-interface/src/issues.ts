import type { z } from 'zod';

/**
 * Flattens zod issues to one line each, `path.to.key: message`, so every configuration error names the key.
 * `prefix` is the path of the validated object inside the file (for a backend, `dataset`).
 */
export function formatIssues(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PropertyKey[] = [],
): string[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => `${joinPath([...path, key])}: unknown key`);
    }
    return [`${joinPath(path)}: ${issue.message}`];
  });
}

const MISSING_KEY_CODES: ReadonlySet<string> = new Set(['invalid_type', 'invalid_value', 'invalid_union']);

/** Error text for a missing key, which zod would call "expected string, received undefined". */
export const issueMessages: z.core.$ZodErrorMap = (issue) =>
  issue.input === undefined && MISSING_KEY_CODES.has(issue.code ?? '')
    ? 'required key is missing'
    : undefined;

function joinPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path
    .map((part) => (typeof part === 'number' ? `[${part}]` : String(part)))
    .join('.')
    .replaceAll('.[', '[');
}
