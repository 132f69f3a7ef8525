import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InspectedVolume } from '@flockerjs/conformance';
import { execCommand } from '@flockerjs/core-interface';
import { detachLoopDevice, listLoopDevices } from '@flockerjs/linux-block';

/** Per-test root directories under one parent, so the back door can find any test's volume. */
export function makeTestRoots(): {
  readonly parent: string;
  make(onCleanup: (fn: () => Promise<void>) => void): Promise<string>;
  removeAll(): Promise<void>;
} {
  const parent = join(tmpdir(), `flockerjs-loopback-${process.pid}-${Date.now()}`);
  return {
    parent,
    async make(onCleanup) {
      await mkdir(parent, { recursive: true });
      const root = await mkdtemp(join(parent, 'root-'));
      onCleanup(() => removeRoot(root));
      return root;
    },
    removeAll: () => removeRoot(parent),
  };
}

/** Detaches any loop device still backed by a file under `root`, then removes it: no test leaks a device. */
export async function removeRoot(root: string): Promise<void> {
  for (const { device, backingFile } of await listLoopDevices(execCommand)) {
    if (backingFile.startsWith(`${root}/`)) await detachLoopDevice(execCommand, device);
  }
  await rm(root, { recursive: true, force: true });
}

/**
 * The conformance back door: finds a volume's backing file under any test root and reports what the files
 * say, the real file size and the recorded profile included, without asking the driver.
 */
export async function inspectVolume(
  parent: string,
  blockDeviceId: string,
): Promise<InspectedVolume | undefined> {
  for (const root of await readdir(parent).catch(() => [])) {
    const base = join(parent, root);
    const places: [string | null, string][] = [[null, join(base, 'unattached')]];
    for (const node of await readdir(join(base, 'attached')).catch(() => [])) {
      places.push([node, join(base, 'attached', node)]);
    }
    for (const [attachedTo, dir] of places) {
      const name = (await readdir(dir).catch(() => [])).find((file) => file.startsWith(`${blockDeviceId}_`));
      if (name === undefined) continue;
      const { size } = await stat(join(dir, name));
      const profile = await readFile(join(base, 'profiles', blockDeviceId), 'utf8').catch(() => undefined);
      return {
        size,
        attachedTo,
        datasetId: blockDeviceId.slice('block-'.length),
        ...(profile === undefined ? {} : { profile: profile.trim() }),
      };
    }
  }
  return undefined;
}
