import { describe, expect, it } from 'vitest';
import {
  BLOCK_DEVICE_API_METHODS,
  type Capabilities,
  type IBlockDeviceAPI,
  isCloudApi,
  isProfiled,
  MANDATORY_PROFILES,
} from '../src/index.js';

function api(capabilities: Capabilities, extra: Record<string, unknown> = {}): IBlockDeviceAPI {
  const reject = async () => {
    throw new Error('not used');
  };
  const methods = Object.fromEntries(BLOCK_DEVICE_API_METHODS.map((method) => [method, reject]));
  return { capabilities, ...methods, ...extra } as unknown as IBlockDeviceAPI;
}

const none: Capabilities = { profiles: false, cloudApi: false, startNode: false, resize: false };

describe('driver contract constants', () => {
  it('BLOCK_DEVICE_API_METHODS lists the eight members in contract order', () => {
    expect(BLOCK_DEVICE_API_METHODS).toEqual([
      'allocationUnit',
      'computeInstanceId',
      'createVolume',
      'destroyVolume',
      'attachVolume',
      'detachVolume',
      'listVolumes',
      'getDevicePath',
    ]);
  });

  it('MANDATORY_PROFILES are gold, silver, bronze and default', () => {
    expect(MANDATORY_PROFILES).toEqual(['gold', 'silver', 'bronze', 'default']);
  });
});

describe('isProfiled', () => {
  const createVolumeWithProfile = async () => undefined;

  it('is true only when profiles are declared and createVolumeWithProfile is a function', () => {
    expect(isProfiled(api({ ...none, profiles: true }, { createVolumeWithProfile }))).toBe(true);
    expect(isProfiled(api({ ...none, profiles: true }))).toBe(false);
    expect(isProfiled(api(none, { createVolumeWithProfile }))).toBe(false);
  });
});

describe('isCloudApi', () => {
  const listLiveNodes = async () => [];

  it('is true only when cloudApi is declared and listLiveNodes is a function', () => {
    expect(isCloudApi(api({ ...none, cloudApi: true }, { listLiveNodes }))).toBe(true);
    expect(isCloudApi(api({ ...none, cloudApi: true }))).toBe(false);
    expect(isCloudApi(api(none, { listLiveNodes }))).toBe(false);
  });
});
