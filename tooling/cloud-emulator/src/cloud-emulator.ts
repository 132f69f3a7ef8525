import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Exec, execCommand } from '@flockerjs/core-interface';
import { detachLoopDevicesOf } from '@flockerjs/linux-block';
import { loopDevicesUnder } from './devices/loop-devices.js';
import { Ec2FrontEnd } from './ec2/ec2-server.js';
import { Fabric, type NewInstance } from './fabric/fabric.js';
import { type FaultOptions, Faults } from './fabric/faults.js';
import type { DeviceMode, Instance, Timings } from './fabric/types.js';
import { serveHttp } from './http-endpoint.js';
import { ImdsServer } from './imds/imds-server.js';

/** Default state directories are `<tmpdir>/flockerjs-cloud-XXXXXX`. */
export const STATE_DIR_PREFIX = 'flockerjs-cloud-';
/** Holds the pid of the process that owns a default state directory. */
const OWNER_FILE = 'owner.pid';

export interface CloudEmulatorOptions {
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default the region's `a` and `b` zones */
  readonly zones?: readonly string[];
  /** Instances to start with. @default one Nitro instance in the first zone */
  readonly instances?: readonly NewInstance[];
  readonly timings?: Partial<Timings>;
  readonly faults?: FaultOptions;
  /** Where backing files and device directories go; removed on stop. @default a new directory under tmpdir */
  readonly stateDir?: string;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0, any free port */
  readonly port?: number;
  readonly exec?: Exec;
  /** Real devices for attachments (root only); `false` for API-only tests as any user. @default true */
  readonly devices?: boolean;
}

/** An emulated instance, as a driver under test needs to see it. */
export interface EmulatedInstance {
  readonly id: string;
  readonly zone: string;
  readonly deviceMode: DeviceMode;
  /** Its IMDSv2 endpoint, the stand-in for `http://169.254.169.254`. */
  readonly imdsUrl: string;
  /** Its device directory, the stand-in for `/dev`. */
  readonly deviceRoot: string;
  /** Its metadata service, whose options (IMDSv1, hop limit) a test may change. */
  readonly imds: ImdsServer;
}

export interface CloudEmulator {
  /** The EC2 endpoint, for the SDK's `endpoint`. */
  readonly url: string;
  readonly region: string;
  readonly fabric: Fabric;
  readonly faults: Faults;
  readonly ec2: Ec2FrontEnd;
  readonly instances: readonly EmulatedInstance[];
  addInstance(request?: NewInstance): Promise<EmulatedInstance>;
  /** Stops the servers, detaches every loop device the emulator made and removes its state directory. */
  stop(): Promise<void>;
}

/** Starts the block-storage fabric with its EC2 front end and one IMDS per instance, on free ports. */
export async function startCloudEmulator(options: CloudEmulatorOptions = {}): Promise<CloudEmulator> {
  const region = options.region ?? 'us-east-1';
  const host = options.host ?? '127.0.0.1';
  const faults = new Faults(options.faults);
  const exec = options.exec ?? execCommand;
  let stateDir = options.stateDir;
  if (stateDir === undefined) {
    // A run killed before `stop()` (a test runner aborted, Ctrl-C twice) leaves its directory and loop
    // devices behind; the next start removes those of owners that are gone.
    await sweepAbandoned(tmpdir(), exec);
    stateDir = await mkdtemp(join(tmpdir(), STATE_DIR_PREFIX));
    await writeFile(join(stateDir, OWNER_FILE), `${process.pid}\n`);
  }
  const fabric = await Fabric.create({
    stateDir,
    region,
    zones: options.zones ?? [`${region}a`, `${region}b`],
    faults,
    ...(options.timings === undefined ? {} : { timings: options.timings }),
    exec,
    devices: options.devices ?? true,
  });
  const ec2 = new Ec2FrontEnd(fabric);
  const endpoint = await serveHttp(
    (request, response) => void ec2.handle(request, response),
    host,
    options.port,
  );
  const imdsServers: ImdsServer[] = [];
  const instances: EmulatedInstance[] = [];

  const addInstance = async (request: NewInstance = {}): Promise<EmulatedInstance> => {
    const instance: Instance = await fabric.addInstance(request);
    const imds = await ImdsServer.start(fabric, instance.id, host);
    imdsServers.push(imds);
    const emulated = {
      id: instance.id,
      zone: instance.zone,
      deviceMode: instance.deviceMode,
      imdsUrl: imds.url,
      deviceRoot: instance.deviceRoot,
      imds,
    };
    instances.push(emulated);
    return emulated;
  };
  for (const request of options.instances ?? [{}]) await addInstance(request);

  return {
    url: endpoint.url,
    region,
    fabric,
    faults,
    ec2,
    instances,
    addInstance,
    async stop() {
      await endpoint.stop();
      await Promise.all(imdsServers.map((imds) => imds.stop()));
      await fabric.stop();
    },
  };
}

/** Removes default state directories whose owning process has exited, with their loop devices. */
async function sweepAbandoned(parent: string, exec: Exec): Promise<void> {
  for (const name of await readdir(parent).catch(() => [])) {
    if (!name.startsWith(STATE_DIR_PREFIX)) continue;
    const dir = join(parent, name);
    const pid = Number((await readFile(join(dir, OWNER_FILE), 'utf8').catch(() => '')).trim());
    if (!Number.isSafeInteger(pid) || pid <= 0 || isAlive(pid)) continue;
    // Waits until they are gone: a detach while something (udev's probe of a new device) holds the device
    // open only schedules it.
    await detachLoopDevicesOf(exec, () => loopDevicesUnder(exec, dir), dir).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
