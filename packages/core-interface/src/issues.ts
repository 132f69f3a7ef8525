import type { z } from 'zod';

/**
 * Flattens zod issues to one line each, `path.to.key: message`, so every configuration error names the key.
 * `prefix` is the path of the validated object inside the file (for a backend, `dataset`). With the `schema`
 * that was validated, an unknown key also names the known keys it is close to (`unknown key; did you mean
 * root_path?`), so a typo reads as one.
 */
export function formatIssues(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PropertyKey[] = [],
  schema?: z.core.$ZodType,
): string[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      const known = schema === undefined ? [] : objectKeysAt(schema, issue.path);
      return issue.keys.map((key) => `${joinPath([...path, key])}: unknown key${didYouMean(key, known)}`);
    }
    return [`${joinPath(path)}: ${issue.message}`];
  });
}

/**
 * `; did you mean a or b?` naming the candidates close to `word` (a typo, a transposition, another case or
 * separator), or `''` when none is.
 */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const close = closeMatches(word, candidates);
  if (close.length === 0) return '';
  return `; did you mean ${close.join(' or ')}?`;
}

/**
 * The candidates within a small edit distance of `word`, or that it begins with or that begin with it and are
 * at least half its length (`resizeVolume` for `resize`), closest first; at most three.
 */
export function closeMatches(word: string, candidates: readonly string[]): string[] {
  const plain = (text: string): string => text.toLowerCase().replaceAll(/[-_\s]/g, '');
  const target = plain(word);
  const limit = Math.max(1, Math.floor(target.length / 3));
  const extends_ = (a: string, b: string): boolean =>
    b.length >= 4 && 2 * b.length >= a.length && a.startsWith(b);
  return [...new Set(candidates)]
    .filter((candidate) => candidate !== word)
    .map((candidate) => ({ candidate, distance: editDistance(target, plain(candidate)) }))
    .filter(
      ({ candidate, distance }) =>
        distance <= limit || extends_(target, plain(candidate)) || extends_(plain(candidate), target),
    )
    .sort((a, b) => a.distance - b.distance)
    .slice(0, 3)
    .map(({ candidate }) => candidate);
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => rows[i]?.[j] ?? 0;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1);
      (rows[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}

/** The keys of the object schema at `path` inside `schema`, looking through optional, default and the like. */
function objectKeysAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): string[] {
  let current: z.core.$ZodType | undefined = schema;
  for (let step = 0; current !== undefined; ) {
    const def = current._zod.def as unknown as Record<string, unknown> & { type: string };
    if (def.type === 'object') {
      const shape = def.shape as Record<string, z.core.$ZodType>;
      if (step === path.length) return Object.keys(shape);
      current = shape[String(path[step])];
      step += 1;
    } else if (def.type === 'pipe') {
      current = def.in as z.core.$ZodType;
    } else if (def.innerType !== undefined) {
      current = def.innerType as z.core.$ZodType;
    } else {
      return [];
    }
  }
  return [];
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
