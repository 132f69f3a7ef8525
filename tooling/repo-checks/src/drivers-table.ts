import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { badgeEndpointUrl, repositorySlug } from '@flockerjs/certification-ledger';
import { driverId, readDriverPackages, type WorkspacePackage } from './workspace.js';

export const DRIVERS_START = '<!-- drivers:start -->';
export const DRIVERS_END = '<!-- drivers:end -->';
const HEADER =
  '<!-- auto-generated from packages/driver-*/package.json by `pnpm exec tsx tooling/repo-checks/src/cli/docs.ts`; do not edit -->';

/** The README's "Drivers" table: one row per `packages/driver-*` package, with its certification badge. */
export function renderDriversTable(drivers: readonly WorkspacePackage[]): string {
  const rows = drivers.map((pkg) => {
    const { name, description = '' } = pkg.manifest;
    const published = pkg.manifest.private !== true;
    const slug = repositorySlug(pkg.manifest.repository);
    const certification =
      published && slug !== undefined
        ? `![certification](https://img.shields.io/endpoint?url=${encodeURIComponent(badgeEndpointUrl(slug, driverId(pkg)))})`
        : 'not certified (private)';
    return [
      `[\`${name}\`](${pkg.dir})`,
      published ? 'published' : 'private',
      certification,
      escapeCell(description),
    ];
  });
  return [HEADER, '', ...alignedTable(['Package', 'Status', 'Certification', 'What it is'], rows)].join('\n');
}

/** A Markdown table with padded columns, as the repository's formatter (Biome) writes them. */
export function alignedTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((title, column) =>
    Math.max(3, title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${widths.map((width, column) => (cells[column] ?? '').padEnd(width)).join(' | ')} |`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)];
}

/** Escapes what Markdown would read as table syntax, HTML or emphasis, outside code spans. */
function escapeCell(text: string): string {
  return text
    .split('`')
    .map((part, index) => (index % 2 === 1 ? part : part.replace(/[|<>*_\\]/g, (char) => `\\${char}`)))
    .join('`');
}

/**
 * `readme` with the text between the drivers markers replaced by `table`.
 * @throws when the markers are missing or out of order.
 */
export function replaceDriversTable(readme: string, table: string): string {
  const start = readme.indexOf(DRIVERS_START);
  const end = readme.indexOf(DRIVERS_END);
  if (start === -1 || end === -1 || end < start) {
    throw new Error(`README.md needs the markers ${DRIVERS_START} and ${DRIVERS_END}, in that order`);
  }
  return `${readme.slice(0, start + DRIVERS_START.length)}\n${table}\n${readme.slice(end)}`;
}

/** Regenerates the drivers table of `<root>/README.md`; returns whether the file changed. */
export async function updateReadme(
  root: string,
  options: { readonly check?: boolean } = {},
): Promise<boolean> {
  const path = join(root, 'README.md');
  const before = await readFile(path, 'utf8');
  const after = replaceDriversTable(before, renderDriversTable(await readDriverPackages(root)));
  if (after !== before && options.check !== true) await writeFile(path, after);
  return after !== before;
}
