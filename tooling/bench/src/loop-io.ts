// Sequential I/O through a loop device against the same I/O on its backing file, side by side in one run:
// what a loopback volume costs over the disk it lives on, with the loop device's direct I/O off and on.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Sample } from './figures.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;

export interface LoopIoOptions {
  /** Bytes written and read per measurement, in MiB. @default 128 */
  readonly sizeMiB?: number;
  /** Interleaved rounds of the three ways; each figure is the median of its rounds. @default 3 */
  readonly rounds?: number;
  /** Where the backing file goes: a disk filesystem that takes O_DIRECT (not tmpfs). @default os.tmpdir() */
  readonly dir?: string;
}

const WAYS = ['raw', 'buffered', 'direct_io'] as const;
type Way = (typeof WAYS)[number];

/**
 * Writes then reads `sizeMiB` with `dd` (1 MiB blocks, `O_DIRECT`, the write flushed): on a plain file, then
 * through a loop device over that file with `--direct-io=off` (buffered) and `--direct-io=on`, the three ways
 * interleaved round after round so that they share the machine's load. The file's page cache is dropped before
 * each read, so no read is served from memory. Needs root (losetup).
 */
export async function loopIo(options: LoopIoOptions = {}): Promise<Sample> {
  const sizeMiB = options.sizeMiB ?? 128;
  const dir = await mkdtemp(join(options.dir ?? tmpdir(), 'flockerjs-bench-io-'));
  const file = join(dir, 'backing.img');
  let device: string | undefined;
  const seconds = new Map<string, number[]>();
  const record = (key: string, value: number) => seconds.set(key, [...(seconds.get(key) ?? []), value]);
  try {
    for (let round = 0; round < (options.rounds ?? 3); round += 1) {
      for (const way of WAYS) {
        let target = file;
        if (way !== 'raw') {
          const directIo = way === 'direct_io' ? 'on' : 'off';
          device = (
            await run('losetup', ['--find', '--show', `--direct-io=${directIo}`, '--', file])
          ).stdout.trim();
          target = device;
        }
        record(`${way}.write`, await write(target, sizeMiB));
        record(`${way}.read`, await read(target, file));
        if (device !== undefined) await run('losetup', ['--detach', device]);
        device = undefined;
      }
    }
    const median = (key: string) => {
      const sorted = [...(seconds.get(key) ?? [])].sort((a, b) => a - b);
      return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
    };
    const sample: Record<string, { value: number; unit: string; goal?: string }> = {
      'loop_io.raw.write_mib_s': { value: sizeMiB / median('raw.write'), unit: 'MiB/s' },
      'loop_io.raw.read_mib_s': { value: sizeMiB / median('raw.read'), unit: 'MiB/s' },
    };
    for (const way of WAYS.filter((candidate): candidate is Exclude<Way, 'raw'> => candidate !== 'raw')) {
      for (const op of ['write', 'read'] as const) {
        sample[`loop_io.${way}.${op}_over_raw`] = {
          value: median(`raw.${op}`) / median(`${way}.${op}`),
          unit: 'ratio',
          goal: '>= 0.9',
        };
      }
    }
    return sample;
  } finally {
    if (device !== undefined) await run('losetup', ['--detach', device]).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}

/** Seconds to write `sizeMiB` to `target` and flush it. */
async function write(target: string, sizeMiB: number): Promise<number> {
  return timed(() =>
    run('dd', [
      'if=/dev/zero',
      `of=${target}`,
      `bs=${MiB}`,
      `count=${sizeMiB}`,
      'oflag=direct',
      'conv=fsync,notrunc',
    ]),
  );
}

/** Seconds to read all of `target` after dropping `backing`'s page cache. */
async function read(target: string, backing: string): Promise<number> {
  await run('dd', [`if=${backing}`, 'iflag=nocache', 'count=0']);
  return timed(() => run('dd', [`if=${target}`, 'of=/dev/null', `bs=${MiB}`, 'iflag=direct']));
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
}
