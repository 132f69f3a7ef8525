// Standalone emulator: `pnpm --filter @flockerjs/cloud-emulator start -- --instances 2 --mode xen`.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
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
    'agent-yml-dir': { type: 'string' },
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
// One agent.yml per instance (agent-a.yml, agent-b.yml, ...): what flocker-certify --config and --peer-config take.
if (values['agent-yml-dir'] !== undefined) {
  const dir = values['agent-yml-dir'];
  await mkdir(dir, { recursive: true });
  for (const [index, instance] of emulator.instances.entries()) {
    const file = join(dir, `agent-${String.fromCharCode(97 + index)}.yml`);
    await writeFile(file, agentYml(emulator, instance));
    console.log(`wrote ${file}`);
  }
}
console.log('Ctrl-C stops it and removes every loop device and file it made.');
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void emulator.stop().then(() => process.exit(0));
  });
}

function agentYml(
  emulator: { url: string; region: string },
  instance: { imdsUrl: string; deviceRoot: string; zone: string },
): string {
  return [
    'version: 1',
    'control-service:',
    '  hostname: localhost',
    'dataset:',
    '  backend: aws',
    `  region: ${emulator.region}`,
    `  zone: ${instance.zone}`,
    `  endpoint: ${emulator.url}`,
    `  imds_endpoint: ${instance.imdsUrl}`,
    `  device_root: ${instance.deviceRoot}`,
    // The emulator takes any credentials; these are not real ones.
    '  access_key_id: AKIAEMULATOR00000000',
    '  secret_access_key: emulator-secret-key',
    '',
  ].join('\n');
}
