/** How to run `command` as `nobody` in `cwd`, wherever `checkout` is (see nobody.js). */
export declare function nobodyCommand(
  command: readonly string[],
  where: { cwd: string; checkout: string; scratch: string },
): { file: string; args: string[]; cwd: string };
