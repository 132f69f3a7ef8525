import type { IBlockDeviceAPI } from '@flockerjs/core-interface';
import { describe, expect, it } from 'vitest';
import { withMethods } from '../src/index.js';

class PrivateApi {
  readonly capabilities = { profiles: false, cloudApi: false, startNode: false, resize: false };
  readonly #node = 'node-a';
  async computeInstanceId(): Promise<string> {
    return this.#node;
  }
  async allocationUnit(): Promise<number> {
    return 1;
  }
}

describe('withMethods', () => {
  it('replaces the members given and binds every other one to the real object', async () => {
    const api = new PrivateApi() as unknown as IBlockDeviceAPI;
    const wrapped = withMethods(api, { allocationUnit: async () => 512 });
    expect(await wrapped.allocationUnit()).toBe(512);
    // A #private field throws when read through anything but the real object.
    expect(await wrapped.computeInstanceId()).toBe('node-a');
    expect(wrapped.capabilities).toBe(api.capabilities);
  });

  it('wraps a frozen driver too', async () => {
    const frozen = Object.freeze({ computeInstanceId: async () => 'frozen' }) as unknown as IBlockDeviceAPI;
    const wrapped = withMethods(frozen, { computeInstanceId: async () => 'replaced' });
    expect(await wrapped.computeInstanceId()).toBe('replaced');
  });
});
