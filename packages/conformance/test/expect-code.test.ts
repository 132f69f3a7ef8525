import { UnknownVolumeError } from '@flockerjs/core-interface';
import { describe, expect, it } from 'vitest';
import { expectCode } from '../src/index.js';

describe('expectCode', () => {
  it('passes on a rejection with the code and the ids asked for', async () => {
    await expectCode(Promise.reject(new UnknownVolumeError('vol-1')), 'UNKNOWN_VOLUME', {
      blockDeviceId: 'vol-1',
    });
  });

  it('accepts an error from another copy of core-interface: it matches on code', async () => {
    await expectCode(Promise.reject({ code: 'UNATTACHED', blockDeviceId: 'x' }), 'UNATTACHED', {
      blockDeviceId: 'x',
    });
  });

  it('fails on a resolution, another code, or another id', async () => {
    await expect(expectCode(Promise.resolve('ok'), 'UNKNOWN_VOLUME')).rejects.toThrow(/expected a rejection/);
    await expect(expectCode(Promise.reject(new UnknownVolumeError('a')), 'UNATTACHED')).rejects.toThrow();
    await expect(
      expectCode(Promise.reject(new UnknownVolumeError('a')), 'UNKNOWN_VOLUME', { blockDeviceId: 'b' }),
    ).rejects.toThrow();
  });
});
