import type { Exec } from '@flockerjs/core-interface';
import { checkedPath } from './device-path.js';

/** Mounts `device` at `target`, its filesystem type detected. */
export async function mount(
  exec: Exec,
  device: string,
  target: string,
  options: { readOnly?: boolean } = {},
): Promise<void> {
  await exec('mount', [
    ...(options.readOnly ? ['-o', 'ro'] : []),
    '--',
    checkedPath(device),
    checkedPath(target),
  ]);
}

/** Unmounts `target`. Without `lazy` a busy mount fails and stays; `lazy` detaches it at once (cleanup only). */
export async function unmount(exec: Exec, target: string, options: { lazy?: boolean } = {}): Promise<void> {
  await exec('umount', [...(options.lazy ? ['--lazy'] : []), '--', checkedPath(target)]);
}
