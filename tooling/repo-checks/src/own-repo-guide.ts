import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * The marker before each fenced block of CONTRIBUTING's "Write a driver in your own repository": the file the
 * block is, or `commands` for the commands that install, build and test it. The vendor end-to-end test replays
 * exactly these, so the guide and the test cannot drift apart.
 */
const MARKER = /^<!-- own-repo: (\S+) -->\n```[a-z]*\n([\s\S]*?)\n```$/gm;

/** The guide's steps: the files a vendor writes (path → text) and the commands they run, in order. */
export interface OwnRepoGuide {
  readonly files: ReadonlyMap<string, string>;
  readonly commands: readonly (readonly string[])[];
}

/**
 * The files and commands of the guide in `markdown`. A command is split on spaces into an argument vector
 * (the guide keeps them free of quotes and shell syntax, so no shell is needed to run them).
 * @throws when the guide has no commands block or a command uses shell syntax.
 */
export function parseOwnRepoGuide(markdown: string): OwnRepoGuide {
  const files = new Map<string, string>();
  let commands: string[][] | undefined;
  for (const [, name = '', body = ''] of markdown.matchAll(MARKER)) {
    if (name !== 'commands') {
      files.set(name, `${body}\n`);
      continue;
    }
    commands = body
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('#'))
      .map((line) => {
        if (/["'`$|&;<>\\]/.test(line)) throw new Error(`the guide's command uses shell syntax: ${line}`);
        return line.trim().split(/\s+/);
      });
  }
  if (commands === undefined) throw new Error('the guide has no <!-- own-repo: commands --> block');
  return { files, commands };
}

/**
 * `argv` with each argument that holds a `*` replaced by the files it matches, relative to `cwd`, as a shell
 * would (only in the last path segment).
 * @throws when a pattern matches nothing.
 */
export async function expandGlobs(argv: readonly string[], cwd: string): Promise<string[]> {
  const expanded: string[] = [];
  for (const arg of argv) {
    if (!arg.includes('*')) {
      expanded.push(arg);
      continue;
    }
    const dir = dirname(arg);
    const pattern = new RegExp(
      `^${arg
        .slice(dir.length + 1)
        .replaceAll(/[.+?^${}()|[\]\\]/g, '\\$&')
        .replaceAll('*', '.*')}$`,
    );
    const matches = (await readdir(join(cwd, dir))).filter((name) => pattern.test(name)).sort();
    if (matches.length === 0) throw new Error(`${arg} matches no file in ${join(cwd, dir)}`);
    expanded.push(...matches.map((name) => join(dir, name)));
  }
  return expanded;
}
