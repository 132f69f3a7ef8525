import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Exec, execCommand } from '@flockerjs/core-interface';
import { Fabric } from '../fabric/fabric.js';
import { type FaultOptions, Faults } from '../fabric/faults.js';
import type { Timings } from '../fabric/types.js';
import { type HttpEndpoint, serveHttp } from '../http-endpoint.js';
import { CINDER_MAX_PAGE, cinderOperation, DEFAULT_VOLUME_TYPE, handleCinder } from './cinder.js';
import { notFound, OpenStackError, overLimit, readJson, sendError, sendJson, serverFault } from './http.js';
import {
  type ApplicationCredential,
  DEFAULT_TOKEN_TTL_MS,
  Keystone,
  type KeystoneUser,
  type Token,
} from './keystone.js';
import { makeConfigDrive, type ServerMetadata, serveMetadata } from './metadata-server.js';
import { handleNova, novaOperation } from './nova.js';
import { type NovaServer, OpenStackState } from './state.js';
import { type DiskBus, VirtioDevices } from './virtio-devices.js';

/** How often device work the fabric finished is turned into guest devices, without waiting for a request. */
const DEVICE_SYNC_INTERVAL_MS = 20;

export interface NewServer {
  /** @default a new UUID */
  readonly id?: string;
  /** @default `server-<n>` */
  readonly name?: string;
  /** Fixed IP addresses Nova reports for it. @default none, as a server booted with `networks: none` */
  readonly addresses?: readonly string[];
  /** @default the first zone */
  readonly zone?: string;
  /** Gives the server a config drive (a real labelled filesystem on a loop device). @default false */
  readonly configDrive?: boolean;
  /** How its kernel names Cinder disks: `virtio` (`vdX` and by-id links) or `xen` (`xvdX`). @default 'virtio' */
  readonly bus?: DiskBus;
}

export interface OpenStackEmulatorOptions {
  /** Share a fabric with other front ends; the caller stops it. @default a fabric of its own */
  readonly fabric?: Fabric;
  /** @default 'RegionOne' */
  readonly region?: string;
  /** Availability zones of a fabric of its own. @default ['nova'] */
  readonly zones?: readonly string[];
  /** @default one server */
  readonly servers?: readonly NewServer[];
  /** Volume types besides `__DEFAULT__`. */
  readonly volumeTypes?: readonly string[];
  /** @default one user `demo`/`secret` in domain `Default` */
  readonly users?: readonly KeystoneUser[];
  readonly applicationCredentials?: readonly ApplicationCredential[];
  /** @default one hour */
  readonly tokenTtlMs?: number;
  /**
   * The most items one Cinder or Nova listing page holds, whatever `limit` asks (`osapi_max_limit`,
   * `max_limit`): a small one makes a few volumes span pages. @default 1000
   */
  readonly pageLimit?: number;
  /** What a throttled call's `Retry-After` says, in seconds. @default 1 */
  readonly retryAfterSeconds?: number;
  readonly timings?: Partial<Timings>;
  /** Faults of a fabric of its own; with a shared fabric, set them on `fabric.faults`. */
  readonly faults?: FaultOptions;
  /** @default a new directory under tmpdir */
  readonly stateDir?: string;
  /** @default '127.0.0.1' */
  readonly host?: string;
  readonly exec?: Exec;
  /**
   * `false`: a fabric of its own makes no loop devices and no guest devices (`in-use` as soon as attached),
   * so that driver logic can be tested without root; `getDevicePath` then finds nothing. @default true
   */
  readonly devices?: boolean;
}

/** An emulated Nova server, as a driver under test needs to see it. */
export interface EmulatedServer {
  readonly id: string;
  readonly name: string;
  /** Its metadata service, the stand-in for `http://169.254.169.254`. */
  readonly metadataUrl: string;
  /** Its device directory, the stand-in for `/dev`. */
  readonly deviceRoot: string;
  readonly addresses: readonly string[];
}

export interface OpenStackEmulator {
  /** Keystone's v3 endpoint (`.../identity/v3`), for `auth_url`. */
  readonly authUrl: string;
  readonly region: string;
  readonly projectId: string;
  readonly fabric: Fabric;
  readonly faults: Faults;
  readonly keystone: Keystone;
  readonly servers: readonly EmulatedServer[];
  /** Calls received per operation (`cinder:CreateVolume`, `nova:AttachVolume`, ...), failed ones included. */
  readonly calls: Map<string, number>;
  count(operation: string): number;
  addServer(request?: NewServer): Promise<EmulatedServer>;
  /** Makes every issued token invalid: the next call with one is a 401, as after expiry. */
  revokeTokens(): void;
  /**
   * What an admin's `os-reset_status` does to a volume a fault left in `error` or `error_attaching`: it is
   * `available` again, so that a test can clean up.
   */
  resetStatus(volumeId: string): void;
  /** A volume as the emulator holds it, read past the API (a test's back door); `undefined` once deleted. */
  describeVolume(volumeId: string): InspectedCinderVolume | undefined;
  stop(): Promise<void>;
}

export interface InspectedCinderVolume {
  readonly id: string;
  readonly name: string | null;
  readonly status: string;
  readonly sizeGiB: number;
  /** Its Cinder volume type (`__DEFAULT__` when none was asked for). */
  readonly volumeType: string;
  readonly metadata: Readonly<Record<string, string>>;
  /** The server it is attached to (or being attached to), if any. */
  readonly serverId: string | null;
}

/**
 * Starts Keystone v3, Cinder v3 and Nova v2.1 front ends on one port over the block-storage fabric, with a
 * metadata service and a `/dev` per server. Attaching makes a real loop device and its
 * `disk/by-id/virtio-<id[:20]>` link in the server's device directory.
 */
export async function startOpenStackEmulator(
  options: OpenStackEmulatorOptions = {},
): Promise<OpenStackEmulator> {
  const region = options.region ?? 'RegionOne';
  const host = options.host ?? '127.0.0.1';
  const exec = options.exec ?? execCommand;
  const ownFabric = options.fabric === undefined;
  const fabric =
    options.fabric ??
    (await Fabric.create({
      stateDir: options.stateDir ?? (await mkdtemp(join(tmpdir(), 'flockerjs-openstack-'))),
      region,
      zones: options.zones ?? ['nova'],
      faults: new Faults(options.faults),
      exec,
      ...(options.timings === undefined ? {} : { timings: options.timings }),
      ...(options.devices === undefined ? {} : { devices: options.devices }),
    }));
  const state = new OpenStackState(
    fabric,
    [DEFAULT_VOLUME_TYPE, ...(options.volumeTypes ?? [])],
    options.pageLimit ?? CINDER_MAX_PAGE,
  );
  const calls = new Map<string, number>();
  const retryAfter = options.retryAfterSeconds ?? 1;
  let base = '';
  const keystone = new Keystone({
    region,
    users: options.users ?? [{ name: 'demo', password: 'secret' }],
    applicationCredentials: options.applicationCredentials ?? [],
    tokenTtlMs: options.tokenTtlMs ?? DEFAULT_TOKEN_TTL_MS,
    authUrl: () => `${base}/identity`,
    catalog: () => [
      { type: 'identity', name: 'keystone', url: `${base}/identity/v3` },
      { type: 'volumev3', name: 'cinderv3', url: `${base}/volume/v3/%(project_id)s` },
      // pkgcloud 2.x looks up the legacy type `volume`; clouds that serve it point it at v3 as well.
      { type: 'volume', name: 'cinder', url: `${base}/volume/v3/%(project_id)s` },
      { type: 'compute', name: 'nova', url: `${base}/compute/v2.1` },
    ],
  });

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    try {
      const url = new URL(request.url ?? '/', base);
      const route = classify(request.method ?? 'GET', url.pathname, keystone.projectId);
      if (route === undefined) throw notFound('The resource could not be found.');
      calls.set(route.operation, (calls.get(route.operation) ?? 0) + 1);
      const body = await readJson(request);
      const latency = fabric.faults.latencyMs(route.operation);
      if (latency > 0) await sleep(latency);
      const verdict = fabric.faults.verdict(route.operation);
      if (verdict === 'throttle') throw overLimit(retryAfter);
      if (verdict === 'fail-before') throw serverFault();
      if (route.service === 'keystone') {
        const issued = keystone.issue(body);
        if (verdict === 'fail-after') throw serverFault();
        return sendJson(response, 201, issued.body, { 'x-subject-token': issued.token.id });
      }
      const token: Token = keystone.validate(request.headers['x-auth-token']);
      if (route.service === 'cinder' && route.project !== token.projectId) {
        throw new OpenStackError(403, 'forbidden', 'Policy does not allow this operation to be performed.');
      }
      await state.syncDevices();
      const answer =
        route.service === 'cinder'
          ? handleCinder(state, { ...route, query: url.searchParams, body, token, base: `${base}/volume` })
          : await handleNova(state, {
              ...route,
              query: url.searchParams,
              body,
              token,
              base: `${base}/compute`,
            });
      if (verdict === 'fail-after') throw serverFault();
      sendJson(response, answer.status, answer.body);
    } catch (error) {
      if (error instanceof OpenStackError) return sendError(response, error);
      fabric.backgroundErrors.push(error);
      sendError(response, serverFault());
    }
  };

  const endpoint = await serveHttp((request, response) => void handle(request, response), host);
  base = endpoint.url;
  const syncTimer = setInterval(() => {
    state.syncDevices().catch((error: unknown) => fabric.backgroundErrors.push(error));
  }, DEVICE_SYNC_INTERVAL_MS);
  syncTimer.unref();

  const metadataServers: HttpEndpoint[] = [];
  const servers: EmulatedServer[] = [];
  const addServer = async (request: NewServer = {}): Promise<EmulatedServer> => {
    const id = request.id ?? randomUUID();
    const instance = await fabric.addInstance({
      id,
      deviceMode: 'xen',
      ...(request.zone === undefined ? {} : { zone: request.zone }),
    });
    const workDir = join(fabric.stateDir, 'openstack', id);
    const devices = new VirtioDevices(join(workDir, 'dev'), exec, request.bus);
    await devices.prepare();
    const nova: NovaServer = {
      id,
      name: request.name ?? `server-${servers.length + 1}`,
      addresses: request.addresses ?? [],
      created: new Date(),
      devices,
      letters: new Map(),
    };
    state.servers.set(id, nova);
    const metadata = (): ServerMetadata => ({
      uuid: id,
      name: nova.name,
      hostname: nova.name,
      availability_zone: instance.zone,
      project_id: keystone.projectId,
      launch_index: 0,
      meta: {},
      devices: [],
    });
    if (request.configDrive === true) {
      if (!fabric.devices)
        throw new TypeError('a config drive is a real device: it needs an emulator with devices');
      await makeConfigDrive(exec, workDir, devices.root, metadata());
    }
    const metadataServer = await serveMetadata(metadata, host);
    metadataServers.push(metadataServer);
    const emulated: EmulatedServer = {
      id,
      name: nova.name,
      metadataUrl: metadataServer.url,
      deviceRoot: devices.root,
      addresses: nova.addresses,
    };
    servers.push(emulated);
    return emulated;
  };
  for (const request of options.servers ?? [{}]) await addServer(request);

  return {
    authUrl: `${base}/identity/v3`,
    region,
    projectId: keystone.projectId,
    fabric,
    faults: fabric.faults,
    keystone,
    servers,
    calls,
    count: (operation) => calls.get(operation) ?? 0,
    addServer,
    revokeTokens: () => keystone.revokeAll(),
    resetStatus: (volumeId) => {
      const record = state.volumes.get(volumeId);
      const volume = record === undefined ? undefined : state.fabricVolume(record);
      if (volume?.state !== 'error') throw new TypeError(`volume ${volumeId} is not in error`);
      // A failed create or attach left no attachment: available is all that is left to say.
      volume.state = 'available';
      volume.failure = undefined;
    },
    describeVolume: (volumeId) => {
      const record = state.volumes.get(volumeId);
      const volume = record === undefined ? undefined : state.fabricVolume(record);
      if (record === undefined || volume === undefined || volume.state === 'deleted') return undefined;
      return {
        id: record.id,
        name: record.name,
        status: state.status(record, volume),
        sizeGiB: volume.sizeGiB,
        volumeType: volume.volumeType,
        metadata: Object.fromEntries(volume.tags),
        serverId: volume.attachment?.instanceId ?? null,
      };
    },
    async stop() {
      clearInterval(syncTimer);
      await endpoint.stop();
      await Promise.all(metadataServers.map((metadataServer) => metadataServer.stop()));
      if (ownFabric) await fabric.stop();
    },
  };
}

type Route =
  | { readonly service: 'keystone'; readonly operation: string }
  | {
      readonly service: 'cinder' | 'nova';
      readonly operation: string;
      readonly method: string;
      readonly path: string;
      readonly project?: string;
    };

/** Which service and operation a request is for, from its path. */
function classify(method: string, pathname: string, projectId: string): Route | undefined {
  if (pathname === '/identity/v3/auth/tokens' && method === 'POST') {
    return { service: 'keystone', operation: 'keystone:CreateToken' };
  }
  const cinder = /^\/volume\/v3\/([^/]+)(\/.*)$/.exec(pathname);
  if (cinder !== null) {
    const path = (cinder[2] ?? '').replace(/\/$/, '');
    const operation = cinderOperation(method, path);
    return operation === undefined
      ? undefined
      : { service: 'cinder', operation, method, path, project: cinder[1] ?? projectId };
  }
  const nova = /^\/compute\/v2\.1(\/.*)$/.exec(pathname);
  if (nova !== null) {
    const path = (nova[1] ?? '').replace(/\/$/, '');
    const operation = novaOperation(method, path);
    return operation === undefined ? undefined : { service: 'nova', operation, method, path };
  }
  return undefined;
}

export { CONFIG_DRIVE_LABEL } from './metadata-server.js';
export { DISK_BUSES, type DiskBus, virtioByIdName } from './virtio-devices.js';
