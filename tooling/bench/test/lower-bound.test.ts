import { EC2_RATE_LIMITS, OPENSTACK_RATE_LIMITS } from '@flockerjs/cloud-emulator';
import { describe, expect, it } from 'vitest';
import { summarize, table } from '../src/figures.js';
import { admissionTimes, fleetLowerBoundMs, phaseLowerBoundMs } from '../src/lower-bound.js';

describe('the fleet lower bound', () => {
  it('admits a full bucket at once, then one call per refill interval', () => {
    expect(admissionTimes([0, 0, 0, 0], { capacity: 2, refillPerSecond: 4 })).toEqual([0, 0, 250, 500]);
  });

  it('lets a bucket refill while calls are not ready, never above its capacity', () => {
    const times = admissionTimes([0, 0, 10_000, 10_000, 10_000], { capacity: 2, refillPerSecond: 1 });
    expect(times).toEqual([0, 0, 10_000, 10_000, 11_000]);
  });

  it('chains steps: each call waits for the transition before it', () => {
    const shape = { capacity: 1, refillPerSecond: 1 };
    expect(phaseLowerBoundMs(2, [{ bucket: shape, transitionMs: 500 }])).toBe(1500);
    expect(
      phaseLowerBoundMs(1, [
        { bucket: shape, transitionMs: 500 },
        { bucket: shape, transitionMs: 500 },
      ]),
    ).toBe(1000);
  });

  it("is 24 s for 100 datasets with 1 s transitions under EC2's buckets: 50 attaches (and detaches) wait for refills", () => {
    // Creates: 100 tokens at once; attaches: 50 at once, then 5/s for 10 s; the same for detaches and deletes.
    const ec2 = ['CreateVolume', 'AttachVolume', 'DetachVolume', 'DeleteVolume'];
    expect(fleetLowerBoundMs(100, 1000, EC2_RATE_LIMITS, ec2)).toBe(24_000);
    const openstack = [
      'cinder:CreateVolume',
      'nova:AttachVolume',
      'nova:DetachVolume',
      'cinder:DeleteVolume',
    ];
    expect(fleetLowerBoundMs(100, 1000, OPENSTACK_RATE_LIMITS, openstack)).toBe(24_000);
    // Within every bucket's burst, only the four transitions remain.
    expect(fleetLowerBoundMs(10, 1000, EC2_RATE_LIMITS, ec2)).toBe(4_000);
  });
});

describe('figures', () => {
  it('summarizes runs as median and spread, and prints them as one table', () => {
    const run = (value: number) => ({
      'fleet.ec2.wall_over_bound': { value, unit: 'ratio', goal: '<= 1.2' },
    });
    const figures = summarize([run(1.1), run(1.3), run(1.15)]);
    expect(figures).toEqual([
      { name: 'fleet.ec2.wall_over_bound', value: 1.15, unit: 'ratio', runs: 3, spread: 0.2, goal: '<= 1.2' },
    ]);
    expect(table(figures)).toMatch(
      /^figure\s+value\s+unit\s+spread\s+runs\s+goal\nfleet\.ec2\.wall_over_bound\s+1\.15\s+ratio\s+±0\.2\s+3\s+<= 1\.2$/,
    );
  });
});
