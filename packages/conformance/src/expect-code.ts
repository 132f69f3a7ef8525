import type { ErrorCode } from '@flockerjs/core-interface';
import { expect } from 'vitest';

/**
 * Asserts that `promise` rejects with `code` and, when given, the ids the error must carry. Matches on
 * `code`, as every caller does, so a driver built against another copy of core-interface still passes.
 */
export async function expectCode(
  promise: Promise<unknown>,
  code: ErrorCode,
  fields: Readonly<Record<string, unknown>> = {},
): Promise<void> {
  const outcome = await promise.then(
    (value) => ({ resolved: value }),
    (error: unknown) => ({ rejected: error }),
  );
  expect(outcome, `expected a rejection with ${code}`).toHaveProperty('rejected');
  const { rejected } = outcome as { rejected: Record<string, unknown> };
  expect({ code: rejected.code, ...pick(rejected, Object.keys(fields)) }, String(rejected)).toEqual({
    code,
    ...fields,
  });
}

function pick(source: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((key) => [key, source[key]]));
}
