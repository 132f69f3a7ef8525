import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type BackendApiCall,
  type BackendContext,
  type BackendDescription,
  blockDeviceVolume,
  type DriverCall,
  instantiateBackend,
  type Metrics,
  UnknownVolumeError,
} from '../src/index.js';
import { PrivateStateDriver } from './private-state-driver.js';

const DATASET = '0b4d1f3c-6a52-4b0e-9d3f-2f8e7a1c5b6d';

function recordingMetrics(): Metrics & { driver: DriverCall[]; backendApi: BackendApiCall[] } {
  const driver: DriverCall[] = [];
  const backendApi: BackendApiCall[] = [];
  return {
    driver,
    backendApi,
    driverCall: (call) => driver.push(call),
    backendApiCall: (call) => backendApi.push(call),
  };
}

/** A backend whose driver reports one cloud call per createVolume and listVolumes, as a cloud client would. */
function countingBackend(): BackendDescription<Record<string, never>> {
  return {
    name: 'counting',
    needsClusterId: false,
    deployerType: 'block',
    configSchema: z.object({}),
    apiFactory: (_config, context: BackendContext) => {
      const driver = new PrivateStateDriver([
        blockDeviceVolume({ blockDeviceId: 'vol-1', size: 1024, attachedTo: null, datasetId: DATASET }),
      ]);
      const cloudCall = (operation: string): void =>
        context.metrics.backendApiCall({
          api: 'fake',
          operation,
          attempts: 2,
          throttles: 1,
          outcome: 'success',
          durationMs: 1,
        });
      return Object.assign(driver, {
        createVolume: async (datasetId: string, size: number) => {
          cloudCall('CreateVolume');
          return PrivateStateDriver.prototype.createVolume.call(driver, datasetId, size);
        },
        listVolumes: async () => {
          // Called on a timer, not inside the caller's chain: still the member it was made in.
          await new Promise((resolve) => setTimeout(resolve, 1));
          cloudCall('DescribeVolumes');
          return PrivateStateDriver.prototype.listVolumes.call(driver);
        },
      });
    },
  };
}

describe('the loader meters every contract call', () => {
  it('reports each call with its duration and outcome, and a coded failure with its code', async () => {
    const metrics = recordingMetrics();
    const api = await instantiateBackend(countingBackend(), {}, { configDir: '.', metrics });
    await api.listVolumes();
    await expect(api.destroyVolume('vol-unknown')).rejects.toMatchObject({ code: 'UNKNOWN_VOLUME' });
    expect(metrics.driver).toEqual([
      { backend: 'counting', method: 'listVolumes', durationMs: expect.any(Number), outcome: 'success' },
      {
        backend: 'counting',
        method: 'destroyVolume',
        durationMs: expect.any(Number),
        outcome: 'error',
        code: 'UNKNOWN_VOLUME',
      },
    ]);
    expect(metrics.driver[0]?.durationMs).toBeGreaterThan(0);
  });

  it('labels an error without one of our codes UNCODED, so a label never takes an unbounded value', async () => {
    const metrics = recordingMetrics();
    const backend = countingBackend();
    const failing: typeof backend = {
      ...backend,
      apiFactory: async (config, context) =>
        Object.assign(await backend.apiFactory(config, context), {
          attachVolume: async () => {
            throw Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
          },
        }),
    };
    const api = await instantiateBackend(failing, {}, { configDir: '.', metrics });
    await expect(api.attachVolume('vol-1', 'node-a')).rejects.toThrow('ENOENT');
    expect(metrics.driver).toEqual([
      expect.objectContaining({ method: 'attachVolume', outcome: 'error', code: 'UNCODED' }),
    ]);
  });

  it('labels each backend API call with the contract member it was made in', async () => {
    const metrics = recordingMetrics();
    const api = await instantiateBackend(countingBackend(), {}, { configDir: '.', metrics });
    await Promise.all([api.createVolume(DATASET, 1024), api.listVolumes()]);
    expect(metrics.backendApi.map(({ operation, method }) => [operation, method]).sort()).toEqual([
      ['CreateVolume', 'createVolume'],
      ['DescribeVolumes', 'listVolumes'],
    ]);
    expect(metrics.backendApi[0]).toMatchObject({ api: 'fake', attempts: 2, throttles: 1 });
  });

  it('counts nothing, and breaks nothing, without metrics', async () => {
    const api = await instantiateBackend(countingBackend(), {}, { configDir: '.' });
    await expect(api.destroyVolume('vol-unknown')).rejects.toBeInstanceOf(UnknownVolumeError);
    expect(await api.listVolumes()).toHaveLength(1);
  });
});
