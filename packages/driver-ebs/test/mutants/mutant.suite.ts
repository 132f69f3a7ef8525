import { randomUUID } from 'node:crypto';
import { type CloudEmulator, startCloudEmulator } from '@flockerjs/cloud-emulator';
import { describeBlockDeviceAPI } from '@flockerjs/conformance';
import { afterAll, beforeAll } from 'vitest';
import { AwsEbsDriver, configSchema, createSdkEc2Api, GIB } from '../../src/index.js';
import { emulatorConfig, inspectFabric, instanceOf, unknownVolumeId } from '../emulated-cloud.js';
import { MUTANTS, type Mutant } from './mutants.js';

// Run by suite-catches-bugs.slow.test.ts in a vitest of its own: every mutant, one describe block each.
// Transitions and polls are short: these runs prove which tests fail, not how waits behave.
const TIMINGS = { createMs: 15, attachMs: 15, detachMs: 15, deleteMs: 10 };
const LOSSY = { seed: 5, serverErrors: { rate: 0.5, operations: ['CreateVolume'] } };
let plain: CloudEmulator;
let lossy: CloudEmulator;
beforeAll(async () => {
  [plain, lossy] = await Promise.all([
    startCloudEmulator({ timings: TIMINGS }),
    startCloudEmulator({ timings: TIMINGS, faults: LOSSY }),
  ]);
});
afterAll(async () => {
  await Promise.all([plain?.stop(), lossy?.stop()]);
});

for (const [name, mutant] of Object.entries(MUTANTS) as [string, Mutant][]) {
  const emulator = () => (mutant.lossy ? lossy : plain);
  describeBlockDeviceAPI({
    name: `mutant ${name}`,
    factory: async () => {
      const config = configSchema.parse(
        emulatorConfig(emulator(), instanceOf(emulator(), 0), {
          polling: { interval_ms: 10, factor: 1.2, max_interval_ms: 200 },
          // A mutant that waits for the wrong state is caught when its wait runs out: soon, not after the
          // loaded-machine bounds of the other tests.
          timeouts: {
            create_ms: 20_000,
            attach_ms: 10_000,
            detach_ms: 20_000,
            destroy_ms: 20_000,
            device_ms: 10_000,
          },
        }),
      );
      const sdk = createSdkEc2Api({
        region: config.region,
        endpoint: config.endpoint,
        credentials: {
          accessKeyId: config.access_key_id ?? '',
          secretAccessKey: config.secret_access_key ?? '',
        },
        maxAttempts: config.max_attempts,
        logger: { action: (_type, _fields, fn) => fn(), message: () => {} },
        driverName: 'aws',
      });
      const api = await AwsEbsDriver.open(config, {
        clusterId: randomUUID(),
        ec2: mutant.ec2?.(sdk) ?? sdk,
      });
      return mutant.api?.(api) ?? api;
    },
    minimumAllocatableSize: GIB,
    unknownBlockDeviceId: unknownVolumeId,
    inspect: inspectFabric(emulator),
  });
}
