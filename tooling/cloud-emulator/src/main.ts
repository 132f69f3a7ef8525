// Standalone emulator: `pnpm --filter @flockerjs/cloud-emulator start -- --instances 2 --mode xen`.
import { parseArgs } from 'node:util';
import { startCloudEmulator } from './cloud-emulator.js';
import { DEVICE_MODES, type DeviceMode } from './fabric/types.js';

// `pnpm start -- --flag` passes the `--` through; it separates nothing here.
const argv = process.argv.slice(2);
const { values } = parseArgs({
  args: argv[0] === '--' ? argv.slice(1) : argv,
  options: {
    port: { type: 'string', default: '0' },
    region: { type: 'string', default: 'us-east-1' },
    instances: { type: 'string', default: '1' },
    mode: { type: 'string', default: 'nitro' },
    'transition-ms': { type: 'string', default: '200' },
  },
});
const mode = values.mode as DeviceMode;
if (!DEVICE_MODES.includes(mode)) throw new Error(`--mode must be one of ${DEVICE_MODES.join(', ')}`);
const transition = Number(values['transition-ms']);
const emulator = await startCloudEmulator({
  port: Number(values.port),
  region: values.region,
  instances: Array.from({ length: Number(values.instances) }, () => ({ deviceMode: mode })),
  timings: { createMs: transition, attachMs: transition, detachMs: transition, deleteMs: transition },
});
console.log(`EC2 endpoint: ${emulator.url} (region ${emulator.region})`);
for (const instance of emulator.instances) {
  console.log(
    `instance ${instance.id} (${instance.zone}, ${instance.deviceMode}): imds ${instance.imdsUrl}, devices ${instance.deviceRoot}`,
  );
}
console.log('Ctrl-C stops it and removes every loop device and file it made.');
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void emulator.stop().then(() => process.exit(0));
  });
}
