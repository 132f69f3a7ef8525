import { mkdir, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Exec } from '@flockerjs/core-interface';
import { attachLoopDevice, deviceNumbersOf } from '../devices/loop-devices.js';
import { type HttpEndpoint, serveHttp } from '../http-endpoint.js';

/** The label Nova gives a config drive; guests find it as `/dev/disk/by-label/config-2`. */
export const CONFIG_DRIVE_LABEL = 'config-2';
const CONFIG_DRIVE_BYTES = 16 * 1024 * 1024;

/** What `openstack/latest/meta_data.json` says about a server. */
export interface ServerMetadata {
  readonly uuid: string;
  readonly name: string;
  readonly hostname: string;
  readonly availability_zone: string;
  readonly project_id: string;
  readonly launch_index: 0;
  readonly meta: Record<string, string>;
  readonly devices: readonly unknown[];
}

/**
 * One server's metadata service, the stand-in for `http://169.254.169.254`: `GET /openstack/latest/meta_data.json`
 * (and `/openstack/` listings). Anything else is a 404, as Nova's metadata API answers.
 */
export function serveMetadata(metadata: () => ServerMetadata, host: string): Promise<HttpEndpoint> {
  return serveHttp((request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const answers: Record<string, string> = {
      '/openstack': 'latest',
      '/openstack/': 'latest',
      '/openstack/latest': 'meta_data.json',
      '/openstack/latest/': 'meta_data.json',
      '/openstack/latest/meta_data.json': JSON.stringify(metadata()),
    };
    const body = request.method === 'GET' ? answers[path] : undefined;
    const status = body === undefined ? 404 : 200;
    const text = body ?? '404 Not Found\n\nThe resource could not be found.\n\n   ';
    const type = path.endsWith('.json') ? 'application/json' : 'text/plain; charset=UTF-8';
    response.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
    response.end(text);
  }, host);
}

/**
 * Makes a server's config drive: a small filesystem labelled `config-2` holding `openstack/latest/meta_data.json`,
 * on a loop device, with its node and `disk/by-label/config-2` link in the server's device directory. (Nova
 * writes iso9660 or vfat; ext4 is used here because `mkfs.ext4 -d` fills it without extra tools, and a guest
 * mounts any of them the same way.) The loop device's backing file lies in the fabric's state directory, so the
 * fabric's stop removes it.
 */
export async function makeConfigDrive(
  exec: Exec,
  workDir: string,
  deviceRoot: string,
  metadata: ServerMetadata,
): Promise<void> {
  const tree = join(workDir, 'config-drive');
  await mkdir(join(tree, 'openstack', 'latest'), { recursive: true });
  await writeFile(join(tree, 'openstack', 'latest', 'meta_data.json'), JSON.stringify(metadata));
  const image = join(workDir, 'config-drive.img');
  await writeFile(image, '');
  await truncate(image, CONFIG_DRIVE_BYTES);
  await exec('mkfs.ext4', ['-q', '-F', '-L', CONFIG_DRIVE_LABEL, '-d', tree, '--', image]);
  const loop = await attachLoopDevice(exec, image);
  const { major, minor } = await deviceNumbersOf(loop);
  const node = join(deviceRoot, 'sr0');
  await exec('mknod', ['--mode=0440', '--', node, 'b', String(major), String(minor)]);
  await symlink('../../sr0', join(deviceRoot, 'disk', 'by-label', CONFIG_DRIVE_LABEL));
}
