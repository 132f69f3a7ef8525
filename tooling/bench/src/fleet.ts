// The fleet benchmark: many datasets created, attached, detached and destroyed at once, through one driver per
// node, against an emulated cloud whose request rate limits are on and whose every transition takes 1 s.
import { randomUUID } from 'node:crypto';
import {
  EC2_RATE_LIMITS,
  ec2DatasetKeys,
  OPENSTACK_RATE_LIMITS,
  openstackDatasetKeys,
  type RateLimits,
  startCloudEmulator,
  startOpenStackEmulator,
} from '@flockerjs/cloud-emulator';
import type { IBlockDeviceAPI } from '@flockerjs/core-interface';
import { CinderDriver, configSchema as cinderConfig } from '@flockerjs/driver-cinder';
import { AwsEbsDriver, configSchema as ebsConfig } from '@flockerjs/driver-ebs';
import type { Sample } from './figures.js';
import { fleetLowerBoundMs } from './lower-bound.js';

const GIB = 1024 ** 3;

export interface FleetOptions {
  /** Datasets, spread evenly over the nodes. @default 100 */
  readonly datasets?: number;
  /** Nodes, each with its own driver. @default 10 */
  readonly nodes?: number;
  /** Every transition of the emulated cloud (create, attach, detach, delete). @default 1000 */
  readonly transitionMs?: number;
}

/** What one scenario run needs from a cloud: a driver per node, the node each attaches to, the counters. */
interface FleetCloud {
  readonly drivers: readonly IBlockDeviceAPI[];
  /** Refills every bucket and zeroes the throttle counts: the run starts from a rested cloud. */
  readonly rest: () => void;
  /** The node driver `i`'s volumes attach to: the next one, since a device-less cloud gives no device here. */
  readonly attachTarget: (node: number) => string;
  readonly calls: () => ReadonlyMap<string, number>;
  readonly throttled: () => ReadonlyMap<string, number>;
  /** Volumes the cloud still holds that are not deleted. */
  readonly leftOver: () => number;
  readonly stop: () => Promise<void>;
}

/** The EC2 scenario under `EC2_RATE_LIMITS`. */
export async function ec2Fleet(options: FleetOptions = {}): Promise<Sample> {
  const { nodes, transitionMs } = settings(options);
  const emulator = await startCloudEmulator({
    devices: false,
    instances: Array.from({ length: nodes }, () => ({})),
    timings: timings(transitionMs),
    faults: { rateLimits: EC2_RATE_LIMITS },
  });
  const drivers = await Promise.all(
    emulator.instances.map((instance) =>
      AwsEbsDriver.open(
        ebsConfig.parse({
          ...ec2DatasetKeys(emulator, instance),
          // As an operator may set it: no metadata lookup that a loaded machine could time out.
          compute_instance_id: instance.id,
        }),
        { clusterId: randomUUID() },
      ),
    ),
  );
  return run(
    'ec2',
    options,
    EC2_RATE_LIMITS,
    ['CreateVolume', 'AttachVolume', 'DetachVolume', 'DeleteVolume'],
    {
      drivers,
      attachTarget: (node) => emulator.instances[(node + 1) % nodes]?.id ?? '',
      rest: () => emulator.faults.set({ rateLimits: EC2_RATE_LIMITS }),
      calls: () => emulator.ec2.calls,
      throttled: () => emulator.faults.throttled,
      leftOver: () => emulator.fabric.volumes().filter((volume) => volume.state !== 'deleted').length,
      stop: () => emulator.stop(),
    },
  );
}

/** The OpenStack scenario under `OPENSTACK_RATE_LIMITS`: throttled calls are 429 with `Retry-After: 1`. */
export async function openstackFleet(options: FleetOptions = {}): Promise<Sample> {
  const { nodes, transitionMs } = settings(options);
  const emulator = await startOpenStackEmulator({
    devices: false,
    servers: Array.from({ length: nodes }, (_, index) => ({ name: `node-${index}` })),
    timings: timings(transitionMs),
    faults: { rateLimits: OPENSTACK_RATE_LIMITS },
  });
  const drivers = await Promise.all(
    emulator.servers.map((server) =>
      CinderDriver.open(cinderConfig.parse(openstackDatasetKeys(emulator, server)), {
        clusterId: randomUUID(),
      }),
    ),
  );
  const mandatory = ['cinder:CreateVolume', 'nova:AttachVolume', 'nova:DetachVolume', 'cinder:DeleteVolume'];
  return run('openstack', options, OPENSTACK_RATE_LIMITS, mandatory, {
    drivers,
    attachTarget: (node) => emulator.servers[(node + 1) % nodes]?.id ?? '',
    rest: () => emulator.faults.set({ rateLimits: OPENSTACK_RATE_LIMITS }),
    calls: () => emulator.calls,
    throttled: () => emulator.faults.throttled,
    leftOver: () => emulator.fabric.volumes().filter((volume) => volume.state !== 'deleted').length,
    stop: () => emulator.stop(),
  });
}

async function run(
  cloud: string,
  options: FleetOptions,
  limits: RateLimits,
  mandatory: readonly string[],
  fleet: FleetCloud,
): Promise<Sample> {
  const { datasets, nodes, transitionMs } = settings(options);
  try {
    const nodeOf = (index: number) => index % nodes;
    // Agents in their steady state: each driver knows its node and has listed its volumes once.
    for (const api of fleet.drivers) {
      await api.computeInstanceId();
      await api.listVolumes();
    }
    fleet.rest();
    const before = new Map(fleet.calls());
    const started = performance.now();
    // Phase 1: every dataset created and attached, all at once.
    const created = await Promise.allSettled(
      Array.from({ length: datasets }, async (_, index) => {
        const api = fleet.drivers[nodeOf(index)];
        if (api === undefined) throw new TypeError(`no driver for node ${nodeOf(index)}`);
        const volume = await api.createVolume(randomUUID(), GIB);
        await api.attachVolume(volume.blockDeviceId, fleet.attachTarget(nodeOf(index)));
        return { api, id: volume.blockDeviceId };
      }),
    );
    // Phase 2: every attached volume detached and destroyed, all at once.
    const removed = await Promise.allSettled(
      created.flatMap((result) =>
        result.status === 'fulfilled'
          ? [
              (async () => {
                await result.value.api.detachVolume(result.value.id);
                await result.value.api.destroyVolume(result.value.id);
              })(),
            ]
          : [],
      ),
    );
    const wallMs = performance.now() - started;
    const failures = [...created, ...removed].filter((result) => result.status === 'rejected');
    for (const failure of failures.slice(0, 3))
      console.error(`fleet ${cloud}:`, (failure as PromiseRejectedResult).reason);
    const calls = new Map([...fleet.calls()].map(([name, count]) => [name, count - (before.get(name) ?? 0)]));
    const sum = (map: ReadonlyMap<string, number>, keep: (name: string) => boolean = () => true) =>
      [...map].reduce((total, [name, count]) => total + (keep(name) ? count : 0), 0);
    const describes = sum(calls, (name) => /Describe|Get|List/.test(name));
    const operations = datasets * 4;
    const boundMs = fleetLowerBoundMs(datasets, transitionMs, limits, mandatory);
    const prefix = `fleet.${cloud}`;
    return {
      [`${prefix}.failed_operations`]: { value: failures.length, unit: 'count', goal: '= 0' },
      [`${prefix}.leaked_volumes`]: { value: fleet.leftOver(), unit: 'count', goal: '= 0' },
      [`${prefix}.wall_ms`]: { value: wallMs, unit: 'ms' },
      [`${prefix}.lower_bound_ms`]: { value: boundMs, unit: 'ms' },
      [`${prefix}.wall_over_bound`]: { value: wallMs / boundMs, unit: 'ratio', goal: '<= 1.2' },
      [`${prefix}.describe_calls_per_operation`]: { value: describes / operations, unit: 'calls/op' },
      [`${prefix}.api_calls`]: { value: sum(calls), unit: 'count' },
      [`${prefix}.throttled_calls`]: { value: sum(fleet.throttled()), unit: 'count' },
    };
  } finally {
    await fleet.stop();
  }
}

function settings(options: FleetOptions): Required<FleetOptions> {
  return {
    datasets: options.datasets ?? 100,
    nodes: options.nodes ?? 10,
    transitionMs: options.transitionMs ?? 1000,
  };
}

function timings(transitionMs: number) {
  return { createMs: transitionMs, attachMs: transitionMs, detachMs: transitionMs, deleteMs: transitionMs };
}
