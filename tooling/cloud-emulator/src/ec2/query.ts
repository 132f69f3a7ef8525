import { Ec2Error } from './ec2-error.js';

/** A filter as the Query API sends it: `Filter.N.Name` and `Filter.N.Value.M`. */
export interface Filter {
  readonly name: string;
  readonly values: readonly string[];
}

/**
 * The parameters of one EC2 Query API request (a form-encoded POST body), with the accessors the actions
 * need for EC2's flattened lists (`VolumeId.1`, `Filter.1.Value.2`, `TagSpecification.1.Tag.1.Key`).
 */
export class QueryParams {
  readonly #params: URLSearchParams;

  constructor(body: string) {
    this.#params = new URLSearchParams(body);
  }

  get action(): string | undefined {
    return this.#params.get('Action') ?? undefined;
  }

  string(name: string): string | undefined {
    return this.#params.get(name) ?? undefined;
  }

  required(name: string): string {
    const value = this.string(name);
    if (value === undefined || value === '') {
      throw new Ec2Error('MissingParameter', `The request must contain the parameter ${name}`);
    }
    return value;
  }

  integer(name: string): number | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    if (!/^-?\d+$/.test(value)) {
      throw new Ec2Error('InvalidParameterValue', `Value (${value}) for parameter ${name} is invalid.`);
    }
    return Number(value);
  }

  boolean(name: string): boolean | undefined {
    const value = this.string(name);
    return value === undefined ? undefined : value === 'true';
  }

  /** `Prefix.1`, `Prefix.2`, … in order. */
  list(prefix: string): string[] {
    const values: string[] = [];
    for (let index = 1; this.#params.has(`${prefix}.${index}`); index += 1) {
      values.push(this.#params.get(`${prefix}.${index}`) ?? '');
    }
    return values;
  }

  filters(): Filter[] {
    const filters: Filter[] = [];
    for (let index = 1; this.#params.has(`Filter.${index}.Name`); index += 1) {
      filters.push({
        name: this.#params.get(`Filter.${index}.Name`) ?? '',
        values: this.list(`Filter.${index}.Value`),
      });
    }
    return filters;
  }

  /** `Prefix.N.Key` / `Prefix.N.Value` pairs. */
  tags(prefix: string): [string, string][] {
    const tags: [string, string][] = [];
    for (let index = 1; this.#params.has(`${prefix}.${index}.Key`); index += 1) {
      tags.push([
        this.#params.get(`${prefix}.${index}.Key`) ?? '',
        this.#params.get(`${prefix}.${index}.Value`) ?? '',
      ]);
    }
    return tags;
  }

  /** Tags of the `TagSpecification.N` entries for `resourceType`. */
  tagSpecifications(resourceType: string): [string, string][] {
    const tags: [string, string][] = [];
    for (let index = 1; this.#params.has(`TagSpecification.${index}.ResourceType`); index += 1) {
      const type = this.#params.get(`TagSpecification.${index}.ResourceType`);
      if (type !== resourceType) {
        throw new Ec2Error(
          'InvalidParameterValue',
          `'${type}' is not a valid taggable resource type for this operation.`,
        );
      }
      tags.push(...this.tags(`TagSpecification.${index}.Tag`));
    }
    return tags;
  }

  /** Every parameter except those named, in a stable order: what makes two requests "the same". */
  fingerprint(without: readonly string[]): string {
    return [...this.#params.entries()]
      .filter(([key]) => !without.includes(key))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, value]) => `${key}=${value}`)
      .join('&');
  }
}
