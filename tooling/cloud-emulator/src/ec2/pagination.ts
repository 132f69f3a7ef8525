import { createHash } from 'node:crypto';
import { Ec2Error } from './ec2-error.js';
import type { QueryParams } from './query.js';

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextToken: string | undefined;
}

/**
 * EC2's MaxResults/NextToken paging. Without MaxResults every item is returned. Pages are in the order of `key`
 * (an id), and a token holds the last key it returned, not a position: items deleted or created between two pages
 * never make the next page skip or repeat one that stayed (an offset would shift under a deletion). A token only
 * continues the query it came from.
 */
export function paginate<T>(
  items: readonly T[],
  params: QueryParams,
  limits: { readonly min: number; readonly max: number; readonly idsGiven: boolean },
  key: (item: T) => string,
): Page<T> {
  const maxResults = params.integer('MaxResults');
  const token = params.string('NextToken');
  if (maxResults !== undefined && limits.idsGiven) {
    throw new Ec2Error(
      'InvalidParameterCombination',
      'The parameter MaxResults cannot be used with the parameter of resource ids',
    );
  }
  if (maxResults !== undefined && (maxResults < limits.min || maxResults > limits.max)) {
    throw new Ec2Error(
      'InvalidParameterValue',
      `Value ( ${maxResults} ) for parameter maxResults is invalid. Expecting a value between ${limits.min} and ${limits.max}.`,
    );
  }
  const query = createHash('sha256')
    .update(params.fingerprint(['NextToken', 'MaxResults']))
    .digest('hex')
    .slice(0, 16);
  let after: string | undefined;
  if (token !== undefined) {
    const decoded = decodeToken(token);
    if (decoded === undefined || decoded.query !== query) {
      throw new Ec2Error('InvalidPaginationToken', `The pagination token ${token} is invalid.`);
    }
    after = decoded.after;
  }
  const rest = [...items]
    .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
    .filter((item) => after === undefined || key(item) > after);
  const page = rest.slice(0, maxResults ?? rest.length);
  const last = page.at(-1);
  return {
    items: page,
    nextToken:
      page.length < rest.length && last !== undefined
        ? Buffer.from(JSON.stringify({ after: key(last), query })).toString('base64url')
        : undefined,
  };
}

function decodeToken(token: string): { after: string; query: string } | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      after?: unknown;
      query?: unknown;
    };
    if (typeof parsed.after !== 'string' || typeof parsed.query !== 'string') return undefined;
    return { after: parsed.after, query: parsed.query };
  } catch {
    return undefined;
  }
}
