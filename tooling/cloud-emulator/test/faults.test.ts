import { describe, expect, it } from 'vitest';
import { Faults } from '../src/index.js';

describe('server errors dealt per call', () => {
  it('fail every k-th call of each operation, first before the call is applied, then after, whatever runs between', () => {
    const faults = new Faults({ serverErrors: { every: 3 } });
    const create: string[] = [];
    for (let call = 1; call <= 12; call += 1) {
      create.push(faults.verdict('CreateVolume'));
      // Another operation's calls in between do not move CreateVolume's count.
      for (let other = 0; other < call; other += 1) faults.verdict('DescribeVolumes');
    }
    expect(create).toEqual([
      'proceed',
      'proceed',
      'fail-before',
      'proceed',
      'proceed',
      'fail-after',
      'proceed',
      'proceed',
      'fail-before',
      'proceed',
      'proceed',
      'fail-after',
    ]);
    expect(faults.injected.get('fail-before')).toBeGreaterThan(2);
  });

  it('never fail a call right after a failed one of the same operation (a retry gets through)', () => {
    const faults = new Faults({ serverErrors: { every: 2, when: 'after', operations: ['AttachVolume'] } });
    const verdicts = Array.from({ length: 8 }, () => faults.verdict('AttachVolume'));
    expect(verdicts.filter((v, i) => v !== 'proceed' && verdicts[i - 1] !== 'proceed')).toEqual([]);
    expect(verdicts.filter((v) => v === 'fail-after')).toHaveLength(4);
    expect(faults.verdict('DetachVolume')).toBe('proceed');
  });

  it('restart their count when the plan is set again', () => {
    const faults = new Faults({ serverErrors: { every: 2 } });
    faults.verdict('CreateVolume');
    faults.set({ serverErrors: { every: 2 } });
    expect([faults.verdict('CreateVolume'), faults.verdict('CreateVolume')]).toEqual([
      'proceed',
      'fail-before',
    ]);
  });
});
