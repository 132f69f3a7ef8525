// Running a command as `nobody`, wherever the checkout is. Plain JavaScript: scripts/ use it too.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
// Bind-mounts $0 on $1 in the command's own mount namespace, enters $2 and becomes the rest of the arguments.
// The namespace starts with a copy of every mount on the host, and with private propagation no unmount outside
// reaches those copies: a filesystem another test has on a loop device (major 7) at that moment would keep its
// device busy, and that test's detach refused, for as long as this command runs. So those copies go first.
const BIND_AND_RUN = [
  'mount --bind -- "$0" "$1" || exit;',
  'mounts=$(cat /proc/self/mountinfo);',
  'echo "$mounts" | while read -r _ _ dev _ point _; do',
  'case $dev in 7:*) point=$(printf %b "$point"); [ "$point" = "$1" ] || umount --lazy -- "$point" 2>/dev/null;; esac;',
  'done;',
  'cd -- "$2" && shift 2 && exec "$@"',
].join(' ');
const reachable = new Map();

/** Whether nobody can read `checkout`: every parent directory lets others through. */
function nobodyReaches(checkout) {
  if (!reachable.has(checkout)) {
    const probe = spawnSync(NOBODY[0], [...NOBODY.slice(1), 'test', '-r', join(checkout, 'package.json')]);
    reachable.set(checkout, probe.status === 0);
  }
  return reachable.get(checkout);
}

/**
 * How to run `command` (argv, program first) as `nobody` in `cwd`. Where nobody cannot reach `checkout` (a
 * parent directory is 0700: /root, a `mktemp -d` folder), the checkout is bind-mounted, in a mount namespace of
 * the command's own that no other process sees, on `<scratch>/checkout`; `cwd` and arguments under the checkout
 * name it there. nobody gets no right it would not have on a checkout of its own.
 * @param {readonly string[]} command
 * @param {{ cwd: string, checkout: string, scratch: string }} where `scratch`: a folder every user may enter,
 *   removed by the caller (the mount point stays in it, empty, once the command ends)
 * @returns {{ file: string, args: string[], cwd: string }}
 */
export function nobodyCommand(command, { cwd, checkout, scratch }) {
  if (nobodyReaches(checkout)) return { file: NOBODY[0], args: [...NOBODY.slice(1), ...command], cwd };
  const target = join(scratch, 'checkout');
  mkdirSync(target, { recursive: true, mode: 0o755 });
  const moved = (path) =>
    path === checkout || path.startsWith(`${checkout}/`) ? `${target}${path.slice(checkout.length)}` : path;
  const args = [
    '--mount',
    '--propagation',
    'private',
    'sh',
    '-c',
    BIND_AND_RUN,
    checkout,
    target,
    moved(cwd),
  ];
  return { file: 'unshare', args: [...args, ...NOBODY, ...command.map(moved)], cwd: '/' };
}
