import { mkdtemp, readFile, rmdir, stat } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Exec, type Logger, UnknownInstanceIdError } from '@flockerjs/core-interface';
import { mount, unmount } from '@flockerjs/linux-block';
import type { CinderConfig, InstanceIdSource } from './config.js';
import type { HttpSend, TlsOptions } from './http.js';
import type { NovaClient } from './nova-client.js';

/** The filesystem label Nova gives a config drive. */
export const CONFIG_DRIVE_LABEL = 'config-2';
/** Where Nova's metadata lives, on the config drive and on the metadata service alike. */
export const META_DATA_PATH = 'openstack/latest/meta_data.json';

export interface InstanceIdDeps {
  readonly send: HttpSend;
  readonly exec: Exec;
  readonly nova: NovaClient;
  /** Every address of this host's interfaces. @default from `os.networkInterfaces()` */
  readonly localAddresses: () => readonly string[];
  readonly logger: Logger;
}

/** What a source concluded: an id, or why not. */
type Outcome = { readonly id: string } | { readonly reason: string };

/**
 * This node's Nova server id, as the original found it: the config drive, then the metadata service, then the
 * one ACTIVE server that has one of this host's addresses; in the order `instance_id_sources` gives.
 * @throws `UNKNOWN_INSTANCE_ID` naming what each source said
 */
export async function discoverInstanceId(config: CinderConfig, deps: InstanceIdDeps): Promise<string> {
  if (config.instance_id !== undefined) return config.instance_id;
  const reasons: string[] = [];
  for (const source of config.instance_id_sources) {
    let outcome: Outcome;
    try {
      outcome = await SOURCES[source](config, deps);
    } catch (error) {
      outcome = { reason: (error as Error).message };
    }
    if ('id' in outcome) {
      deps.logger.message('openstack:instance-id', { source, instance_id: outcome.id }, 'debug');
      return outcome.id;
    }
    reasons.push(`${source}: ${outcome.reason}`);
  }
  throw new UnknownInstanceIdError(`${reasons.join('; ')} (set instance_id to name the server)`);
}

const SOURCES: Readonly<
  Record<InstanceIdSource, (config: CinderConfig, deps: InstanceIdDeps) => Promise<Outcome>>
> = {
  'config-drive': fromConfigDrive,
  'metadata-service': fromMetadataService,
  'nova-addresses': fromNovaAddresses,
};

async function fromConfigDrive(config: CinderConfig, deps: InstanceIdDeps): Promise<Outcome> {
  const device = join(config.device_root, 'disk', 'by-label', CONFIG_DRIVE_LABEL);
  try {
    await stat(device);
  } catch {
    return { reason: `no ${device}` };
  }
  const dir = await mkdtemp(join(tmpdir(), 'flockerjs-config-drive-'));
  try {
    await mount(deps.exec, device, dir, { readOnly: true });
    try {
      return uuidFrom(await readFile(join(dir, META_DATA_PATH), 'utf8'), `${device}:${META_DATA_PATH}`);
    } finally {
      await unmount(deps.exec, dir);
    }
  } finally {
    await rmdir(dir).catch(() => undefined);
  }
}

async function fromMetadataService(config: CinderConfig, deps: InstanceIdDeps): Promise<Outcome> {
  const url = `${config.metadata_url.replace(/\/+$/, '')}/${META_DATA_PATH}`;
  const tls: TlsOptions = { verify: config.verify_peer };
  const response = await deps.send({ method: 'GET', url, timeoutMs: config.timeouts.metadata_ms, tls });
  if (response.status !== 200) return { reason: `${url} answered HTTP ${response.status}` };
  return uuidFrom(response.body, url);
}

async function fromNovaAddresses(_config: CinderConfig, deps: InstanceIdDeps): Promise<Outcome> {
  const local = new Set(deps.localAddresses());
  const servers = await deps.nova.listActiveServers();
  // Intersection, not equality: a floating IP or an extra local address must not prevent a match.
  const matching = servers.filter((server) => server.addresses.some((address) => local.has(address)));
  if (matching.length === 1 && matching[0] !== undefined) return { id: matching[0].id };
  if (matching.length === 0) {
    return {
      reason: `none of ${servers.length} ACTIVE servers has one of this host's addresses (${[...local].join(', ')})`,
    };
  }
  return {
    reason: `${matching.length} ACTIVE servers share this host's addresses (${matching.map((s) => s.id).join(', ')})`,
  };
}

function uuidFrom(data: unknown, where: string): Outcome {
  let parsed = data;
  if (typeof data === 'string') {
    try {
      parsed = JSON.parse(data);
    } catch {
      return { reason: `${where} is not JSON` };
    }
  }
  const uuid = (parsed as { uuid?: unknown } | undefined)?.uuid;
  return typeof uuid === 'string' && uuid !== '' ? { id: uuid } : { reason: `${where} has no uuid` };
}

/** Every address of this host, IPv6 scope suffixes removed. */
export function hostAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((entries) =>
    (entries ?? []).map((entry) => entry.address.replace(/%.*$/, '')),
  );
}
