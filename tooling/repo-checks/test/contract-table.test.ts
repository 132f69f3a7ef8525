import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderContractTable, replaceBetween, updateContractTable, workspaceRoot } from '../src/index.js';

const root = workspaceRoot(import.meta.dirname);

describe('the contract table of core-interface README', () => {
  it('is what src/driver.ts documents (pnpm exec tsx tooling/repo-checks/src/cli/docs.ts regenerates it)', async () => {
    expect(await updateContractTable(root, { check: true })).toBe(false);
  });

  it('names resize among the capabilities and has a resizeVolume row (a plain-JS driver follows this table)', async () => {
    const readme = await readFile(join(root, 'packages/core-interface/README.md'), 'utf8');
    expect(readme).toMatch(/^\| `capabilities` +\| `\{ profiles, cloudApi, startNode, resize[,} ]/m);
    expect(readme).toMatch(/^\| `resizeVolume\(blockDeviceId, size\)` +\|/m);
  });

  it('has a row per member of the contract and of each optional ability, capabilities listing every flag', () => {
    const table = renderContractTable(`
export interface Capabilities {
  /** Profiles. */
  readonly profiles: boolean;
  /** Snapshots. */
  readonly snapshots: boolean;
}
/** The contract. */
export interface IBlockDeviceAPI {
  /** What it can do. */
  readonly capabilities: Capabilities;
  /**
   * Destroys a volume, see {@link IBlockDeviceAPI.createVolume}.
   * @throws \`UNKNOWN_VOLUME\` | never.
   */
  destroyVolume(blockDeviceId: string): Promise<void>;
}
/** Declared by \`capabilities.snapshots\`. */
export interface ISnapshotAPI extends IBlockDeviceAPI {
  /**
   * Snapshots a volume.
   * @returns the snapshot id.
   */
  snapshot(blockDeviceId: string, name: string): Promise<string>;
}
interface Unrelated { other(): void }
`);
    const rows = table.split('\n').filter((line) => line.startsWith('| `'));
    expect(rows.map((row) => row.replace(/ +/g, ' '))).toEqual([
      '| `capabilities` | `{ profiles, snapshots }`: What it can do. |',
      '| `destroyVolume(blockDeviceId)` | Destroys a volume, see `IBlockDeviceAPI.createVolume`. Throws `UNKNOWN_VOLUME` \\| never. |',
      '| `snapshot(blockDeviceId, name)` | Declared by `capabilities.snapshots`. Snapshots a volume. Returns the snapshot id. |',
    ]);
  });

  it('replaces only what is between the markers, and refuses a file without them', () => {
    expect(replaceBetween('a <!-- s -->old<!-- e --> b', '<!-- s -->', '<!-- e -->', 'new', 'X')).toBe(
      'a <!-- s -->\nnew\n<!-- e --> b',
    );
    expect(() => replaceBetween('no markers', '<!-- s -->', '<!-- e -->', 'new', 'X.md')).toThrow(
      'X.md needs the markers <!-- s --> and <!-- e -->, in that order',
    );
  });
});
