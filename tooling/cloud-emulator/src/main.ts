// Standalone emulator, left running for drivers or flocker-certify to use:
//   pnpm --filter @flockerjs/cloud-emulator start -- --instances 2 --mode xen
//   pnpm --filter @flockerjs/cloud-emulator start -- --cloud openstack --instances 2 --agent-yml-dir /tmp/os
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startCloudEmulator } from './cloud-emulator.js';
import { ec2DatasetKeys, openstackDatasetKeys } from './driver-config.js';
import { EC2_RATE_LIMITS, OPENSTACK_RATE_LIMITS } from './fabric/rate-limits.js';
import { DEVICE_MODES, type DeviceMode } from './fabric/types.js';
import { startOpenStackEmulator } from './openstack/openstack-emulator.js';

// `pnpm start -- --flag` passes the `--` through; it separates nothing here.
const argv = process.argv.slice(2);
const { values } = parseArgs({
  args: argv[0] === '--' ? argv.slice(1) : argv,
  options: {
    cloud: { type: 'string', default: 'aws' },
    port: { type: 'string', default: '0' },
    region: { type: 'string' },
    instances: { type: 'string', default: '1' },
    mode: { type: 'string', default: 'nitro' },
    'transition-ms': { type: 'string', default: '200' },
    'agent-yml-dir': { type: 'string' },
    'rate-limits': { type: 'boolean', default: false },
  },
});
const transition = Number(values['transition-ms']);
const timings = { createMs: transition, attachMs: transition, detachMs: transition, deleteMs: transition };
const count = Number(values.instances);
/** One agent.yml per node (agent-a.yml, agent-b.yml, ...): what flocker-certify --config and --peer-config take. */
const agentYmls: string[] = [];
let stop: () => Promise<void>;

if (values.cloud === 'aws') {
  const mode = values.mode as DeviceMode;
  if (!DEVICE_MODES.includes(mode)) throw new Error(`--mode must be one of ${DEVICE_MODES.join(', ')}`);
  const emulator = await startCloudEmulator({
    port: Number(values.port),
    region: values.region ?? 'us-east-1',
    instances: Array.from({ length: count }, () => ({ deviceMode: mode })),
    timings,
    ...(values['rate-limits'] ? { faults: { rateLimits: EC2_RATE_LIMITS } } : {}),
  });
  stop = () => emulator.stop();
  console.log(`EC2 endpoint: ${emulator.url} (region ${emulator.region})`);
  for (const instance of emulator.instances) {
    console.log(
      `instance ${instance.id} (${instance.zone}, ${instance.deviceMode}): imds ${instance.imdsUrl}, devices ${instance.deviceRoot}`,
    );
    agentYmls.push(agentYml('aws', { ...ec2DatasetKeys(emulator, instance), zone: instance.zone }));
  }
} else if (values.cloud === 'openstack') {
  const emulator = await startOpenStackEmulator({
    region: values.region ?? 'RegionOne',
    servers: Array.from({ length: count }, (_, index) => ({
      name: `node-${String.fromCharCode(97 + index)}`,
    })),
    timings,
    ...(values['rate-limits'] ? { faults: { rateLimits: OPENSTACK_RATE_LIMITS } } : {}),
  });
  stop = () => emulator.stop();
  console.log(
    `Keystone: ${emulator.authUrl} (region ${emulator.region}; user demo, password secret, project demo)`,
  );
  for (const server of emulator.servers) {
    console.log(
      `server ${server.id} (${server.name}): metadata ${server.metadataUrl}, devices ${server.deviceRoot}`,
    );
    agentYmls.push(agentYml('openstack', openstackDatasetKeys(emulator, server)));
  }
} else {
  throw new Error(`--cloud must be aws or openstack, got ${JSON.stringify(values.cloud)}`);
}

if (values['agent-yml-dir'] !== undefined) {
  const dir = values['agent-yml-dir'];
  await mkdir(dir, { recursive: true });
  for (const [index, text] of agentYmls.entries()) {
    const file = join(dir, `agent-${String.fromCharCode(97 + index)}.yml`);
    await writeFile(file, text);
    console.log(`wrote ${file}`);
  }
}
console.log('Ctrl-C stops it and removes every loop device and file it made.');
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void stop().then(() => process.exit(0));
  });
}

function agentYml(backend: string, keys: Readonly<Record<string, string | string[]>>): string {
  const dataset = Object.entries(keys).map(
    ([key, value]) => `  ${key}: ${Array.isArray(value) ? `[${value.join(', ')}]` : value}`,
  );
  return [
    'version: 1',
    'control-service:',
    '  hostname: localhost',
    'dataset:',
    `  backend: ${backend}`,
    ...dataset,
    '',
  ].join('\n');
}
