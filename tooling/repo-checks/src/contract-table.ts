import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type TS from 'typescript';
import { alignedTable } from './drivers-table.js';
import { typescript } from './typescript.js';

/** The contract's one source: its JSDoc is what the README table shows. */
export const CONTRACT_SOURCE = 'packages/core-interface/src/driver.ts';
/** The README whose contract table is generated from {@link CONTRACT_SOURCE}. */
export const CONTRACT_README = 'packages/core-interface/README.md';
export const CONTRACT_START = '<!-- contract:start -->';
export const CONTRACT_END = '<!-- contract:end -->';
const HEADER = `<!-- auto-generated from ${CONTRACT_SOURCE} by \`pnpm exec tsx tooling/repo-checks/src/cli/docs.ts\`; do not edit -->`;
const CONTRACT = 'IBlockDeviceAPI';

/**
 * The contract table: one row per member of `IBlockDeviceAPI` and of each interface that extends it (the
 * optional abilities), in source order, each with its JSDoc: summary, returns and throws.
 */
export function renderContractTable(source: string): string {
  const ts = typescript();
  const file = ts.createSourceFile('driver.ts', source, ts.ScriptTarget.Latest, true);
  const interfaces = file.statements.filter(ts.isInterfaceDeclaration);
  const contract = interfaces.find((node) => node.name.text === CONTRACT);
  if (contract === undefined) throw new Error(`${CONTRACT_SOURCE} declares no ${CONTRACT}`);
  const capabilities = interfaces.find((node) => node.name.text === 'Capabilities');
  const abilities = interfaces.filter((node) =>
    node.heritageClauses?.some((clause) =>
      clause.types.some((type) => type.expression.getText() === CONTRACT),
    ),
  );
  const rows: string[][] = [];
  for (const node of [contract, ...abilities]) {
    const declaredBy = node === contract ? '' : `${docText(node, { summaryOnly: true })} `;
    for (const member of node.members) {
      if (!ts.isMethodSignature(member) && !ts.isPropertySignature(member)) continue;
      const name = member.name.getText();
      let contractText = docText(member);
      if (name === 'capabilities' && capabilities !== undefined) {
        const flags = capabilities.members.map((flag) => flag.name?.getText()).filter(Boolean);
        contractText = `\`{ ${flags.join(', ')} }\`: ${contractText}`;
      }
      rows.push([`\`${signature(member)}\``, cell(`${declaredBy}${contractText}`)]);
    }
  }
  return [HEADER, '', ...alignedTable(['Member', 'Contract'], rows)].join('\n');
}

/** `createVolume(datasetId, size)`; `capabilities` for a property. */
function signature(member: TS.MethodSignature | TS.PropertySignature): string {
  const name = member.name.getText();
  if (typescript().isPropertySignature(member)) return name;
  return `${name}(${member.parameters.map((parameter) => parameter.name.getText()).join(', ')})`;
}

/** A node's JSDoc as one line: the comment, then `Returns ...` and `Throws ...` from its tags. */
function docText(node: TS.Node, options: { summaryOnly?: boolean } = {}): string {
  const ts = typescript();
  const parts: string[] = [];
  for (const doc of ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc)) {
    parts.push(commentText(doc.comment));
    if (options.summaryOnly) continue;
    for (const tag of doc.tags ?? []) {
      const text = commentText(tag.comment);
      if (tag.tagName.text === 'returns') parts.push(`Returns ${text}`);
      if (tag.tagName.text === 'throws') parts.push(`Throws ${text}`);
    }
  }
  return parts.filter(Boolean).join(' ').replace(/\s+/g, ' ').trim();
}

function commentText(comment: string | TS.NodeArray<TS.JSDocComment> | undefined): string {
  if (comment === undefined) return '';
  if (typeof comment === 'string') return comment;
  return comment
    .map((part) =>
      typescript().isJSDocLink(part) ? `\`${part.name?.getText() ?? ''}${part.text}\`` : part.text,
    )
    .join('');
}

/** Escapes the table syntax a JSDoc text may contain. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/**
 * `text` with what is between `start` and `end` replaced by `content`.
 * @throws when the markers are missing or out of order, naming `where`.
 */
export function replaceBetween(
  text: string,
  start: string,
  end: string,
  content: string,
  where: string,
): string {
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from === -1 || to === -1 || to < from)
    throw new Error(`${where} needs the markers ${start} and ${end}, in that order`);
  return `${text.slice(0, from + start.length)}\n${content}\n${text.slice(to)}`;
}

/** Regenerates the contract table of core-interface's README; returns whether the file changed. */
export async function updateContractTable(
  root: string,
  options: { readonly check?: boolean } = {},
): Promise<boolean> {
  const path = join(root, CONTRACT_README);
  const before = await readFile(path, 'utf8');
  const table = renderContractTable(await readFile(join(root, CONTRACT_SOURCE), 'utf8'));
  const after = replaceBetween(before, CONTRACT_START, CONTRACT_END, table, CONTRACT_README);
  if (after !== before && options.check !== true) await writeFile(path, after);
  return after !== before;
}
