import { createHash } from 'node:crypto';
import { Ec2Error } from './ec2-error.js';
import type { QueryParams } from './query.js';

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextToken: string | undefined;
}

/**
 * EC2's MaxResults/NextToken paging over a stably ordered list. Without MaxResults every
 * item is returned. A token only continues the query it came from.
 */
export function paginate<T>(
  items: readonly T[],
  params: QueryParams,
  limits: { readonly min: number; readonly max: number; readonly idsGiven: boolean },
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
  let offset = 0;
  if (token !== undefined) {
    const decoded = decodeToken(token);
    if (decoded === undefined || decoded.query !== query) {
      throw new Ec2Error('InvalidPaginationToken', `The pagination token ${token} is invalid.`);
    }
    offset = decoded.offset;
  }
  const size = maxResults ?? items.length;
  const end = offset + size;
  return {
    items: items.slice(offset, end),
    nextToken:
      end < items.length
        ? Buffer.from(JSON.stringify({ offset: end, query })).toString('base64url')
        : undefined,
  };
}

function decodeToken(token: string): { offset: number; query: string } | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      offset?: unknown;
      query?: unknown;
    };
    if (typeof parsed.offset !== 'number' || typeof parsed.query !== 'string') return undefined;
    return { offset: parsed.offset, query: parsed.query };
  } catch {
    return undefined;
  }
}
