import type { Instance, Volume } from '../fabric/types.js';
import { Ec2Error } from './ec2-error.js';
import type { Filter } from './query.js';

type Candidates<T> = (item: T) => readonly (string | undefined)[];

const tagFilters = <T extends { readonly tags: Map<string, string> }>(
  name: string,
): Candidates<T> | undefined => {
  if (name === 'tag-key') return (item) => [...item.tags.keys()];
  if (name === 'tag-value') return (item) => [...item.tags.values()];
  if (name.startsWith('tag:')) return (item) => [item.tags.get(name.slice('tag:'.length))];
  return undefined;
};

/** DescribeVolumes filters (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeVolumes.html). */
const VOLUME_FILTERS: Readonly<Record<string, Candidates<Volume>>> = {
  'volume-id': (v) => [v.id],
  status: (v) => [v.state],
  'availability-zone': (v) => [v.zone],
  size: (v) => [String(v.sizeGiB)],
  'volume-type': (v) => [v.volumeType],
  'attachment.instance-id': (v) => [v.attachment?.instanceId],
  'attachment.status': (v) => [v.attachment?.state],
  'attachment.device': (v) => [v.attachment?.device],
};

/** DescribeInstances filters, the subset the drivers use. */
const INSTANCE_FILTERS: Readonly<Record<string, Candidates<Instance>>> = {
  'instance-id': (i) => [i.id],
  'instance-state-name': (i) => [i.state],
  'availability-zone': (i) => [i.zone],
  'instance-type': (i) => [i.instanceType],
};

export function volumeMatcher(filters: readonly Filter[]): (volume: Volume) => boolean {
  return matcher(filters, VOLUME_FILTERS);
}

export function instanceMatcher(filters: readonly Filter[]): (instance: Instance) => boolean {
  return matcher(filters, INSTANCE_FILTERS);
}

function matcher<T extends { readonly tags: Map<string, string> }>(
  filters: readonly Filter[],
  known: Readonly<Record<string, Candidates<T>>>,
): (item: T) => boolean {
  const tests = filters.map((filter) => {
    const candidates = known[filter.name] ?? tagFilters<T>(filter.name);
    if (candidates === undefined) {
      throw new Ec2Error('InvalidParameterValue', `The filter '${filter.name}' is invalid`);
    }
    const patterns = filter.values.map(globToRegExp);
    return (item: T) =>
      candidates(item).some(
        (value) => value !== undefined && patterns.some((pattern) => pattern.test(value)),
      );
  });
  return (item) => tests.every((test) => test(item));
}

/** EC2 filter values are globs: `*` any run of characters, `?` one character, `\` escapes. */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let index = 0; index < glob.length; index += 1) {
    const char = glob[index] ?? '';
    if (char === '\\' && index + 1 < glob.length) {
      index += 1;
      source += (glob[index] ?? '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    } else if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else source += char.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}
