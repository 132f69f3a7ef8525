import type { LogEntry } from '@flockerjs/core-interface';
import { createLogger } from '@flockerjs/core-interface';
import { describe, expect, it } from 'vitest';
import { buildLogTree, renderLogTree } from '../src/cli/log-tree.js';

async function record(): Promise<LogEntry[]> {
  const entries: LogEntry[] = [];
  let now = 0;
  const logger = createLogger({ sink: (entry) => entries.push(entry), now: () => (now += 5) });
  await logger.action('acceptance:test', { title: 'moves data' }, async () => {
    await logger.action('acceptance:attach', { node: 'a' }, async () => {
      await logger.action('loopback:exec', { argv: ['losetup'] }, async () => undefined);
    });
    logger.message('note', { detail: 'x' });
    await logger
      .action('acceptance:mount', {}, () =>
        Promise.reject(Object.assign(new Error('no fs'), { code: 'BACKEND' })),
      )
      .catch(() => {});
  });
  logger.message('standalone');
  return entries;
}

describe('buildLogTree / renderLogTree', () => {
  it('nests actions and messages by task level, with outcome and duration', async () => {
    const tree = renderLogTree(buildLogTree(await record()));
    expect(tree).toBe(
      [
        'acceptance:test  title=moves data  ✓ 75 ms',
        '├── acceptance:attach  node=a  ✓ 30 ms',
        '│   └── loopback:exec  argv=["losetup"]  ✓ 10 ms',
        '├── note  detail=x',
        '└── acceptance:mount  ✗ 10 ms  BACKEND: no fs',
        'standalone',
        '',
      ].join('\n'),
    );
  });

  it('rebuilds the same tree from shuffled entries, and marks an action that never finished', async () => {
    const entries = await record();
    expect(buildLogTree([...entries].reverse())).toEqual(buildLogTree(entries));
    const unfinished = entries.filter(
      (entry) => !(entry.action_type === 'acceptance:test' && entry.action_status === 'succeeded'),
    );
    expect(renderLogTree(buildLogTree(unfinished)).split('\n')[0]).toBe(
      'acceptance:test  title=moves data  … (never finished)',
    );
  });
});
