import { describe, expect, it } from 'vitest';
import { DEVICE_NAMES, DeviceNameAllocator, REFUSED_NAME_MEMORY_MS } from '../src/index.js';

describe('DeviceNameAllocator', () => {
  it('starts at /dev/sdf and skips names in use, /dev/xvdX counting as /dev/sdX', () => {
    const names = new DeviceNameAllocator();
    expect(names.reserve('i-1', ['/dev/xvda'])).toBe('/dev/sdf');
    const other = new DeviceNameAllocator();
    expect(other.reserve('i-1', ['/dev/xvda', '/dev/xvdf', '/dev/sdg'])).toBe('/dev/sdh');
  });

  it('never hands out a name reserved by an attach in flight on the same instance', () => {
    const names = new DeviceNameAllocator();
    const first = names.reserve('i-1', []);
    const second = names.reserve('i-1', []);
    expect(second).not.toBe(first);
    // Another instance has its own names.
    expect(new DeviceNameAllocator().reserve('i-2', [])).toBe(first);
  });

  it('rotates: a name just released is not the next one handed out', () => {
    const names = new DeviceNameAllocator();
    const first = names.reserve('i-1', []);
    names.release('i-1', first);
    expect(names.reserve('i-1', [])).not.toBe(first);
  });

  it('avoids a name EC2 refused recently, and uses it again once forgotten or when nothing else is free', () => {
    let now = 0;
    const refusing = () => {
      const names = new DeviceNameAllocator(() => now);
      names.refuse('i-1', '/dev/sdf');
      return names;
    };
    expect(refusing().reserve('i-1', [])).toBe('/dev/sdg');
    expect(
      refusing().reserve(
        'i-1',
        DEVICE_NAMES.filter((name) => name !== '/dev/sdf'),
      ),
    ).toBe('/dev/sdf');
    const forgetting = refusing();
    now += REFUSED_NAME_MEMORY_MS + 1;
    expect(forgetting.reserve('i-1', [])).toBe('/dev/sdf');
  });

  it('rejects with BACKEND when every name is taken', () => {
    expect(() => new DeviceNameAllocator().reserve('i-1', DEVICE_NAMES)).toThrow(
      expect.objectContaining({ code: 'BACKEND' }),
    );
  });

  it('offers only names EC2 accepts for EBS on Linux', () => {
    for (const name of DEVICE_NAMES) expect(name).toMatch(/^\/dev\/(sd[f-z]|xvd[b-c][a-z])$/);
    expect(new Set(DEVICE_NAMES).size).toBe(DEVICE_NAMES.length);
  });
});
