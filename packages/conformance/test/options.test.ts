import { describe, expect, it } from 'vitest';
import { DEFAULT_MINIMUM_ALLOCATABLE_SIZE, resolveOptions } from '../src/index.js';

const factory = () => {
  throw new Error('not called');
};

describe('resolveOptions', () => {
  it("takes the title and the hints from the backend's certification member, as flocker-certify does", () => {
    const unknown = () => 'vol-none';
    const resolved = resolveOptions({
      backend: {
        name: 'acme',
        certification: {
          minimumAllocatableSize: 1 << 26,
          deviceAllocationUnit: 1 << 20,
          unknownBlockDeviceId: unknown,
          consistency: { attempts: 5, intervalMs: 10 },
        },
      },
      factory,
    });
    expect(resolved).toMatchObject({
      name: 'acme',
      minimumAllocatableSize: 1 << 26,
      deviceAllocationUnit: 1 << 20,
      consistency: { attempts: 5, intervalMs: 10 },
      timeoutMs: 120_000,
    });
    expect(resolved.unknownBlockDeviceId).toBe(unknown);
  });

  it('lets an explicit option win over the hint, and an undefined one leave the hint in place', () => {
    const resolved = resolveOptions({
      backend: {
        name: 'acme',
        certification: { minimumAllocatableSize: 1 << 26, consistency: { attempts: 5, intervalMs: 10 } },
      },
      name: 'acme (emulated)',
      minimumAllocatableSize: 1 << 30,
      consistency: undefined,
      factory,
    });
    expect(resolved).toMatchObject({
      name: 'acme (emulated)',
      minimumAllocatableSize: 1 << 30,
      consistency: { attempts: 5, intervalMs: 10 },
    });
  });

  it('defaults to 1 GiB volumes and random UUIDs as unknown ids, and needs a name or a backend', () => {
    const resolved = resolveOptions({ name: 'plain', factory });
    expect(resolved.minimumAllocatableSize).toBe(DEFAULT_MINIMUM_ALLOCATABLE_SIZE);
    expect(resolved.deviceAllocationUnit).toBe(1);
    expect(resolved.unknownBlockDeviceId()).toMatch(/^[0-9a-f-]{36}$/);
    expect(resolved.unknownBlockDeviceId()).not.toBe(resolved.unknownBlockDeviceId());
    expect(() => resolveOptions({ factory })).toThrow(TypeError);
  });
});
