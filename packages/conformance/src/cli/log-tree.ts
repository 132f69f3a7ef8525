import type { LogEntry } from '@flockerjs/core-interface';

/** One action (or message) of a structured log, with what happened inside it. */
export interface LogNode {
  readonly type: string;
  readonly fields: Record<string, unknown>;
  status: 'started' | 'succeeded' | 'failed' | 'message';
  durationMs?: number;
  error?: Record<string, unknown>;
  readonly children: LogNode[];
  readonly order: number;
}

const STANDARD = new Set([
  'task_uuid',
  'task_level',
  'timestamp',
  'action_type',
  'action_status',
  'message_type',
  'duration_ms',
  'error',
]);

/**
 * Rebuilds the tree of actions from log entries (in any order): entries share a task by `task_uuid`, and
 * `task_level` places each inside its action, as eliot's levels do.
 */
export function buildLogTree(entries: readonly LogEntry[]): LogNode[] {
  const roots: { node: LogNode; first: string }[] = [];
  const byTask = new Map<string, LogEntry[]>();
  for (const entry of entries) {
    const list = byTask.get(entry.task_uuid) ?? [];
    list.push(entry);
    byTask.set(entry.task_uuid, list);
  }
  for (const list of byTask.values()) {
    list.sort((a, b) => compareLevels(a.task_level, b.task_level));
    const actions = new Map<string, LogNode>();
    const top: LogNode[] = [];
    const attach = (parentKey: string | undefined, node: LogNode): void => {
      const parent = parentKey === undefined ? undefined : actions.get(parentKey);
      (parent?.children ?? top).push(node);
    };
    for (const entry of list) {
      const level = entry.task_level;
      const order = level[level.length - 1] ?? 0;
      if (entry.action_type !== undefined) {
        // An action's own entries sit at <prefix>/n; it hangs under the action whose prefix is one shorter.
        const key = level.slice(0, -1).join('/');
        if (entry.action_status === 'started' || !actions.has(key)) {
          const node: LogNode = {
            type: entry.action_type,
            fields: userFields(entry),
            status: 'started',
            children: [],
            order,
          };
          attach(level.length >= 2 ? level.slice(0, -2).join('/') : undefined, node);
          actions.set(key, node);
        }
        const node = actions.get(key) as LogNode;
        if (entry.action_status === 'succeeded' || entry.action_status === 'failed') {
          node.status = entry.action_status;
          if (entry.duration_ms !== undefined) node.durationMs = entry.duration_ms;
          if (entry.error !== undefined) node.error = entry.error as Record<string, unknown>;
        }
      } else {
        const node: LogNode = {
          type: entry.message_type ?? '(message)',
          fields: userFields(entry),
          status: 'message',
          children: [],
          order,
        };
        attach(level.slice(0, -1).join('/'), node);
      }
    }
    for (const node of top) roots.push({ node, first: list[0]?.timestamp ?? '' });
  }
  return roots.sort((a, b) => a.first.localeCompare(b.first)).map((root) => root.node);
}

/** Renders the tree with box-drawing branches, outcome and duration per action. */
export function renderLogTree(roots: readonly LogNode[]): string {
  const lines: string[] = [];
  const walk = (node: LogNode, prefix: string, branch: string): void => {
    lines.push(`${prefix}${branch}${describe(node)}`);
    const childPrefix = prefix + (branch === '' ? '' : branch === '└── ' ? '    ' : '│   ');
    node.children.forEach((child, index) => {
      walk(child, childPrefix, index === node.children.length - 1 ? '└── ' : '├── ');
    });
  };
  for (const root of roots) walk(root, '', '');
  return `${lines.join('\n')}\n`;
}

function describe(node: LogNode): string {
  const fields = Object.entries(node.fields)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  const shown = fields.length > 120 ? `${fields.slice(0, 117)}...` : fields;
  const outcome =
    node.status === 'message'
      ? ''
      : node.status === 'started'
        ? '  … (never finished)'
        : `  ${node.status === 'succeeded' ? '✓' : '✗'} ${node.durationMs ?? '?'} ms`;
  const error =
    node.error === undefined
      ? ''
      : `  ${String(node.error.code ?? node.error.name ?? 'error')}: ${String(node.error.message ?? '')}`;
  return `${node.type}${shown === '' ? '' : `  ${shown}`}${outcome}${error}`;
}

function userFields(entry: LogEntry): Record<string, unknown> {
  return Object.fromEntries(Object.entries(entry).filter(([key]) => !STANDARD.has(key)));
}

function compareLevels(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}
