import { describe, expect, it } from 'vitest';
import { deviceNoLongerServes, readDevice } from '../src/index.js';

describe('device paths', () => {
  it('refuses to open a path with traversal or shell syntax', async () => {
    await expect(readDevice('/dev/../etc/passwd', 0, 1)).rejects.toThrow(TypeError);
    await expect(readDevice('/dev/loop0; rm -rf /', 0, 1)).rejects.toThrow(TypeError);
  });

  it('counts a path that is no block device as no longer serving the volume', async () => {
    expect(await deviceNoLongerServes('/nonexistent/device', 0, new Uint8Array([1]))).toBe(true);
    expect(await deviceNoLongerServes('/dev/null', 0, new Uint8Array([1]))).toBe(true);
  });
});
