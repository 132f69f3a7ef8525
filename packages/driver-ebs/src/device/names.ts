import { BackendError } from '@flockerjs/core-interface';

/**
 * Device names offered to EC2, in order: `/dev/sd[f-p]` as AWS recommends for EBS on Linux, then the rest of
 * `sd[q-z]`, then two-letter `xvdb?`/`xvdc?` names (https://docs.aws.amazon.com/ebs/latest/userguide/device_naming.html).
 * `sda`-`sde` are left alone: root and instance store live there.
 */
export const DEVICE_NAMES: readonly string[] = [
  ...[...'fghijklmnopqrstuvwxyz'].map((letter) => `/dev/sd${letter}`),
  ...['b', 'c'].flatMap((first) =>
    [...'abcdefghijklmnopqrstuvwxyz'].map((second) => `/dev/xvd${first}${second}`),
  ),
];
/** How long a name EC2 refused as in use is avoided; it is usually a device no API lists (AMI-attached). */
export const REFUSED_NAME_MEMORY_MS = 30 * 60 * 1000;

/** `/dev/sdf` and `/dev/xvdf` are one slot to the kernel. */
export function deviceSlot(device: string): string {
  return device.replace(/^\/dev\/(sd|xvd)/, '');
}

/**
 * Picks device names for attachments, per instance. A name is free when the instance's block-device mapping
 * does not hold it, no attach in flight here reserved it, and EC2 did not refuse it recently. Names rotate
 * rather than restart from the first, since reusing a name freed a moment ago can leave an attachment stuck
 * (https://github.com/kubernetes/kubernetes/issues/31891).
 */
export class DeviceNameAllocator {
  readonly #now: () => number;
  readonly #inFlight = new Map<string, Set<string>>();
  readonly #refused = new Map<string, number>();
  readonly #cursor = new Map<string, number>();

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /**
   * Reserves a free name on `instanceId`, given the names its mapping holds; release it once the attachment
   * shows in the mapping or failed. Refused names are used only when nothing else is free.
   * @throws `BACKEND` when every name is taken.
   */
  reserve(instanceId: string, inUse: readonly string[]): string {
    const taken = new Set([...inUse, ...(this.#inFlight.get(instanceId) ?? [])].map(deviceSlot));
    const start = this.#cursor.get(instanceId) ?? 0;
    const rotated = DEVICE_NAMES.map((_, index) => DEVICE_NAMES[(start + index) % DEVICE_NAMES.length] ?? '');
    const free = rotated.filter((name) => !taken.has(deviceSlot(name)));
    const name = free.find((candidate) => !this.#recentlyRefused(instanceId, candidate)) ?? free[0];
    if (name === undefined) {
      throw new BackendError('attachVolume', `no free device name left on instance ${instanceId}`);
    }
    this.#cursor.set(instanceId, (DEVICE_NAMES.indexOf(name) + 1) % DEVICE_NAMES.length);
    const reserved = this.#inFlight.get(instanceId) ?? new Set();
    reserved.add(name);
    this.#inFlight.set(instanceId, reserved);
    return name;
  }

  release(instanceId: string, name: string): void {
    this.#inFlight.get(instanceId)?.delete(name);
  }

  /** Records that EC2 refused `name` on `instanceId` as in use. */
  refuse(instanceId: string, name: string): void {
    this.#refused.set(`${instanceId} ${name}`, this.#now() + REFUSED_NAME_MEMORY_MS);
  }

  #recentlyRefused(instanceId: string, name: string): boolean {
    const until = this.#refused.get(`${instanceId} ${name}`);
    if (until === undefined) return false;
    if (until > this.#now()) return true;
    this.#refused.delete(`${instanceId} ${name}`);
    return false;
  }
}
