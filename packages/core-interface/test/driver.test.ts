import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type BackendDescription,
  BLOCK_DEVICE_API_METHODS,
  type Capabilities,
  createBlockDeviceAPI,
  type IBlockDeviceAPI,
  InvalidConfigError,
  type IProfiledBlockDeviceAPI,
  isCloudApi,
  isProfiled,
  MANDATORY_PROFILES,
  resolveProfileAlias,
  withProfileAliases,
} from '../src/index.js';
import { PrivateStateDriver } from './private-state-driver.js';

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

  it('MANDATORY_PROFILES are gold, silver and bronze; default is an alias of bronze', () => {
    expect(MANDATORY_PROFILES).toEqual(['gold', 'silver', 'bronze']);
    expect(['default', 'gold', 'silver', 'bronze', 'platinum'].map(resolveProfileAlias)).toEqual([
      'bronze',
      'gold',
      'silver',
      'bronze',
      'platinum',
    ]);
    // Only the table's own keys are aliases, not what every object inherits.
    expect(['constructor', '__proto__', 'toString'].map(resolveProfileAlias)).toEqual([
      'constructor',
      '__proto__',
      'toString',
    ]);
  });
});

/** A driver written to the original's three profiles: anything else is refused, as the contract allows. */
class ThreeProfileDriver extends PrivateStateDriver {
  readonly received: string[] = [];
  override async createVolumeWithProfile(datasetId: string, size: number, profile: string) {
    this.received.push(profile);
    if (!(MANDATORY_PROFILES as readonly string[]).includes(profile)) {
      throw new InvalidConfigError([`profile: ${JSON.stringify(profile)} is not gold, silver or bronze`]);
    }
    return super.createVolumeWithProfile(datasetId, size, profile);
  }
}

describe('the default profile alias', () => {
  it('withProfileAliases hands the driver bronze for default, every other name as given', async () => {
    const driver = new ThreeProfileDriver();
    const api = withProfileAliases(driver);
    for (const profile of ['default', 'gold', 'bronze']) {
      await api.createVolumeWithProfile(randomUUID(), 1024, profile);
    }
    await expect(api.createVolumeWithProfile(randomUUID(), 1024, 'platinum')).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
    });
    expect(driver.received).toEqual(['bronze', 'gold', 'bronze', 'platinum']);
    // Every other member is the driver's own, run on it (its #private state works).
    expect(await api.listVolumes()).toHaveLength(3);
    expect(api.capabilities).toBe(driver.capabilities);
  });

  it('withProfileAliases leaves an API without profiles as it is', () => {
    const plain = api(none);
    expect(withProfileAliases(plain)).toBe(plain);
  });

  it('an API made by the loader accepts default for a driver that knows only gold, silver and bronze', async () => {
    const driver = new ThreeProfileDriver();
    const backend = {
      name: 'three-profiles',
      needsClusterId: false,
      configSchema: z.strictObject({}),
      deployerType: 'block',
      apiFactory: () => driver,
    } satisfies BackendDescription<Record<string, never>>;
    const loaded = await createBlockDeviceAPI(
      backend,
      { backend: 'three-profiles' },
      { configDir: tmpdir() },
    );
    const datasetId = randomUUID();
    const volume = await (loaded as IProfiledBlockDeviceAPI).createVolumeWithProfile(
      datasetId,
      2048,
      'default',
    );
    expect(volume).toMatchObject({ datasetId, size: 2048, attachedTo: null });
    expect(driver.received).toEqual(['bronze']);
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
