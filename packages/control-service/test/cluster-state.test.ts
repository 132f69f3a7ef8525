// Node state expiry, with a clock the test moves: a silent node goes, a node with a watch open stays.
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { ClusterState, type NodeState } from '../src/index.js';

function node(uuid: string): NodeState {
  return { uuid, host: '10.0.0.1', instance_id: `i-${uuid.slice(0, 4)}`, datasets: [] };
}

it('drops a silent node after the expiry, keeps one whose agent has a watch open, and says so once', async () => {
  let now = 0;
  let changes = 0;
  let expired: () => void = () => undefined;
  const gone = new Promise<void>((resolve) => {
    expired = resolve;
  });
  const state = new ClusterState({
    expiryMs: 50,
    now: () => now,
    onChange: () => {
      changes += 1;
      expired();
    },
  });
  try {
    const [watching, silent] = [randomUUID(), randomUUID()];
    state.report(node(watching));
    state.watching(watching, 1);
    state.report(node(silent));
    now = 10_000;
    await gone;
    expect(state.nodes().map((n) => n.uuid)).toEqual([watching]);
    expect(changes).toBe(1);
    // Once its watch ends, the watching node too expires, counted from then.
    state.watching(watching, -1);
    now = 20_000;
    await new Promise<void>((resolve) => {
      const check = (): void => (state.nodes().length === 0 ? resolve() : void setTimeout(check, 10));
      check();
    });
    expect(changes).toBe(2);
  } finally {
    state.close();
  }
});

it('a report equal to the last one changes nothing anyone sees', () => {
  const state = new ClusterState({ expiryMs: 60_000, now: () => 0, onChange: () => undefined });
  try {
    const uuid = randomUUID();
    expect(state.report(node(uuid))).toBe(true);
    expect(state.report(node(uuid))).toBe(false);
    expect(state.report({ ...node(uuid), host: '10.0.0.2' })).toBe(true);
  } finally {
    state.close();
  }
});
