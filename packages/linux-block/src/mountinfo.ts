import { readFile } from 'node:fs/promises';

/** One line of `/proc/self/mountinfo`. */
export interface MountInfoEntry {
  /** `major:minor` of the mounted filesystem's device: a block device's own numbers for block filesystems. */
  readonly majorMinor: string;
  /** The directory inside the filesystem that is mounted (`/` for a whole filesystem). */
  readonly root: string;
  readonly mountPoint: string;
  readonly fsType: string;
  /** What was mounted, as mount(8) names it: `/dev/loop3`, `tmpfs`... */
  readonly source: string;
}

/** Undoes mountinfo's octal escapes of space, tab, newline and backslash (`\040`). */
function unescapeOctal(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_all, octal: string) =>
    String.fromCharCode(Number.parseInt(octal, 8)),
  );
}

/** Parses `/proc/self/mountinfo` (proc(5)); lines it cannot read are skipped. */
export function parseMountInfo(text: string): MountInfoEntry[] {
  return text.split('\n').flatMap((line) => {
    const fields = line.split(' ');
    const separator = fields.indexOf('-', 6);
    const [, , majorMinor, root, mountPoint] = fields;
    const fsType = fields[separator + 1];
    const source = fields[separator + 2];
    if (separator < 0 || majorMinor === undefined || root === undefined || mountPoint === undefined)
      return [];
    if (fsType === undefined || source === undefined) return [];
    return [
      {
        majorMinor,
        root: unescapeOctal(root),
        mountPoint: unescapeOctal(mountPoint),
        fsType,
        source: unescapeOctal(source),
      },
    ];
  });
}

/** This process's mounts. @param path for tests */
export async function readMountInfo(path = '/proc/self/mountinfo'): Promise<MountInfoEntry[]> {
  return parseMountInfo(await readFile(path, 'utf8'));
}
