import { describe, expect, it } from 'vitest';
import { type Clock, hasCode, type PollResult, SharedPoller, TimeoutError, waitFor } from '../src/index.js';

interface FakeClock extends Clock {
  /** Every `sleep` argument, in order. */
  readonly sleeps: number[];
  time: number;
}

/** A clock whose sleep returns at once and moves time forward by exactly the requested amount. */
function fakeClock(start = 1_000_000): FakeClock {
  const clock: FakeClock = {
    sleeps: [],
    time: start,
    now: () => clock.time,
    sleep: async (ms) => {
      clock.sleeps.push(ms);
      clock.time += ms;
    },
  };
  return clock;
}

/** A poll that reports the given states in turn, then `done` with `value`. */
function pollSequence<T>(
  states: readonly unknown[],
  value: T,
): { poll: () => Promise<PollResult<T>>; calls: () => number } {
  let calls = 0;
  return {
    poll: async () => {
      calls += 1;
      return calls > states.length ? { done: true, value } : { done: false, state: states[calls - 1] };
    },
    calls: () => calls,
  };
}

const never = async (): Promise<PollResult<never>> => ({ done: false, state: 'creating' });

describe('waitFor', () => {
  it('resolves with the value on the first poll that is done, without sleeping', async () => {
    const clock = fakeClock();
    const { poll, calls } = pollSequence([], 'vol-1');
    await expect(waitFor({ what: 'x', poll, timeoutMs: 1000, clock })).resolves.toBe('vol-1');
    expect(calls()).toBe(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('polls again until done and resolves with the value', async () => {
    const clock = fakeClock();
    const { poll, calls } = pollSequence(['creating', 'creating', 'attaching'], 'available');
    await expect(waitFor({ what: 'x', poll, timeoutMs: 60_000, clock })).resolves.toBe('available');
    expect(calls()).toBe(4);
  });

  it('grows the interval by factor and caps it at maxIntervalMs', async () => {
    const clock = fakeClock();
    const { poll } = pollSequence(
      Array.from({ length: 6 }, () => 'pending'),
      true,
    );
    await waitFor({
      what: 'x',
      poll,
      timeoutMs: 60_000,
      intervalMs: 100,
      factor: 2,
      maxIntervalMs: 500,
      clock,
    });
    expect(clock.sleeps).toEqual([100, 200, 400, 500, 500, 500]);
  });

  it('uses 100 ms, factor 2 and a 5000 ms cap by default', async () => {
    const clock = fakeClock();
    const { poll } = pollSequence(
      Array.from({ length: 8 }, () => 'pending'),
      true,
    );
    await waitFor({ what: 'x', poll, timeoutMs: 600_000, clock });
    expect(clock.sleeps).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000]);
  });

  it('sleeps initialDelayMs before the first poll, outside the timeout', async () => {
    const clock = fakeClock();
    const { poll } = pollSequence(['pending'], true);
    await waitFor({ what: 'x', poll, timeoutMs: 100, initialDelayMs: 250, intervalMs: 100, clock });
    expect(clock.sleeps).toEqual([250, 100]);
  });

  it('rejects with TIMEOUT naming what, timeoutMs and the last state', async () => {
    const clock = fakeClock();
    const { poll } = pollSequence(['creating', 'creating', 'attaching', 'attaching', 'attaching'], true);
    const wait = waitFor({ what: 'volume vol-1 to attach', poll, timeoutMs: 250, intervalMs: 100, clock });
    await expect(wait).rejects.toMatchObject({
      code: 'TIMEOUT',
      what: 'volume vol-1 to attach',
      timeoutMs: 250,
      lastState: 'attaching',
      message: 'timed out after 250 ms waiting for volume vol-1 to attach (last state "attaching")',
    });
    await expect(wait).rejects.toBeInstanceOf(TimeoutError);
  });

  it('never sleeps past the deadline and makes a last poll at it', async () => {
    const clock = fakeClock();
    const start = clock.time;
    let polls = 0;
    const poll = async (): Promise<PollResult<never>> => {
      polls += 1;
      return { done: false, state: clock.time - start };
    };
    const wait = waitFor({ what: 'x', poll, timeoutMs: 1000, intervalMs: 300, clock });
    await expect(wait).rejects.toMatchObject({ code: 'TIMEOUT', lastState: 1000 });
    expect(clock.sleeps).toEqual([300, 600, 100]);
    expect(clock.time - start).toBe(1000);
    expect(polls).toBe(4);
  });

  it('with timeoutMs 0 polls once and times out', async () => {
    const clock = fakeClock();
    await expect(waitFor({ what: 'x', poll: never, timeoutMs: 0, clock })).rejects.toMatchObject({
      code: 'TIMEOUT',
    });
    expect(clock.sleeps).toEqual([]);
  });

  it('counts a retryable error as pending, with the error message as the state', async () => {
    const clock = fakeClock();
    const throttled = Object.assign(new Error('Request rate exceeded'), { code: 'Throttling' });
    let calls = 0;
    const states: unknown[] = [];
    const value = await waitFor({
      what: 'x',
      timeoutMs: 10_000,
      clock,
      retryable: (error) => (error as { code?: unknown }).code === 'Throttling',
      onPending: (state) => states.push(state),
      poll: async () => {
        calls += 1;
        if (calls < 3) throw throttled;
        return { done: true, value: 'ok' };
      },
    });
    expect(value).toBe('ok');
    expect(states).toEqual([{ error: 'Request rate exceeded' }, { error: 'Request rate exceeded' }]);
  });

  it('reports a retryable error as the last state of a TIMEOUT', async () => {
    const clock = fakeClock();
    const wait = waitFor({
      what: 'x',
      timeoutMs: 100,
      clock,
      retryable: () => true,
      poll: async () => {
        throw new Error('still throttled');
      },
    });
    await expect(wait).rejects.toMatchObject({ code: 'TIMEOUT', lastState: { error: 'still throttled' } });
  });

  it('ends the wait at once on an error that is not retryable, rethrowing it unchanged', async () => {
    const clock = fakeClock();
    const gone = Object.assign(new Error('no such volume'), { code: 'UNKNOWN_VOLUME' });
    let calls = 0;
    const wait = waitFor({
      what: 'x',
      timeoutMs: 10_000,
      clock,
      retryable: (error) => hasCode(error, 'TIMEOUT'),
      poll: async () => {
        calls += 1;
        throw gone;
      },
    });
    await expect(wait).rejects.toBe(gone);
    expect(calls).toBe(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('treats every error as fatal when no retryable is given', async () => {
    const clock = fakeClock();
    const failure = new Error('boom');
    const poll = async (): Promise<PollResult<never>> => {
      throw failure;
    };
    await expect(waitFor({ what: 'x', poll, timeoutMs: 10_000, clock })).rejects.toBe(failure);
  });

  it('rejects with the abort reason of a signal aborted before the first poll, without polling', async () => {
    const clock = fakeClock();
    const controller = new AbortController();
    const reason = new Error('agent stopping');
    controller.abort(reason);
    let calls = 0;
    const poll = async (): Promise<PollResult<never>> => {
      calls += 1;
      return { done: false, state: 'x' };
    };
    await expect(
      waitFor({ what: 'x', poll, timeoutMs: 10_000, clock, signal: controller.signal }),
    ).rejects.toBe(reason);
    expect(calls).toBe(0);
  });

  it('rejects with the abort reason when aborted while waiting, and passes the signal to poll and sleep', async () => {
    const controller = new AbortController();
    const reason = new Error('agent stopping');
    const sleepSignals: (AbortSignal | undefined)[] = [];
    const pollSignals: (AbortSignal | undefined)[] = [];
    const base = fakeClock();
    const clock: Clock = {
      now: base.now,
      sleep: async (ms, signal) => {
        sleepSignals.push(signal);
        await base.sleep(ms);
      },
    };
    const poll = async (signal: AbortSignal | undefined): Promise<PollResult<never>> => {
      pollSignals.push(signal);
      if (pollSignals.length === 2) controller.abort(reason);
      return { done: false, state: 'x' };
    };
    await expect(
      waitFor({ what: 'x', poll, timeoutMs: 10_000, clock, signal: controller.signal }),
    ).rejects.toBe(reason);
    expect(pollSignals).toEqual([controller.signal, controller.signal]);
    expect(sleepSignals).toEqual([controller.signal, controller.signal]);
  });

  it('calls onPending with each state and the elapsed time', async () => {
    const clock = fakeClock();
    const { poll } = pollSequence(['creating', 'attaching'], true);
    const seen: [unknown, number][] = [];
    await waitFor({
      what: 'x',
      poll,
      timeoutMs: 10_000,
      intervalMs: 100,
      clock,
      onPending: (state, elapsed) => seen.push([state, elapsed]),
    });
    expect(seen).toEqual([
      ['creating', 0],
      ['attaching', 100],
    ]);
  });
});

describe('SharedPoller', () => {
  /** A fetch over a table of key -> states, one state per round; a key with no states left is missing. */
  function table(states: Record<string, readonly string[]>) {
    const calls: (readonly string[])[] = [];
    const fetch = async (keys: readonly string[]) => {
      calls.push(keys);
      const answer = new Map<string, string>();
      for (const key of keys) {
        const left = states[key];
        const state = left?.[Math.min(calls.length - 1, left.length - 1)];
        if (state !== undefined) answer.set(key, state);
      }
      return answer;
    };
    return { fetch, calls };
  }
  const until =
    (want: string) =>
    (value: string | undefined): PollResult<string> => {
      if (value === undefined) throw new Error('not found');
      return value === want ? { done: true, value } : { done: false, state: value };
    };

  it('makes one fetch per round with the keys of every waiter, however many wait', async () => {
    const clock = fakeClock();
    const ids = Array.from({ length: 20 }, (_, i) => `vol-${i}`);
    // Volume i becomes available in round i % 4 + 1.
    const { fetch, calls } = table(
      Object.fromEntries(
        ids.map((id, i) => [id, [...Array.from({ length: i % 4 }, () => 'creating'), 'available']]),
      ),
    );
    const poller = new SharedPoller<string>({ fetch, clock, intervalMs: 10 });
    const results = await Promise.all(
      ids.map((key) => poller.wait({ what: key, key, check: until('available'), timeoutMs: 60_000 })),
    );
    expect(results).toEqual(ids.map(() => 'available'));
    expect(calls.length).toBe(4);
    expect(poller.stats.rounds).toBe(4);
    expect(calls[0]).toEqual(ids);
    // Waiters that are done leave: the last round asks only for those still waiting.
    expect(calls[3]).toEqual(ids.filter((_, i) => i % 4 === 3));
  });

  it('keeps each waiter on its own schedule: rounds it rides along do not back it off', async () => {
    const clock = fakeClock(0);
    const times: number[] = [];
    let joined: Promise<string> | undefined;
    const poller = new SharedPoller<string>({
      fetch: async (keys) => {
        times.push(clock.now());
        // A second waiter joins during the first round; it is done in the third.
        joined ??= poller.wait({ what: 'b', key: 'b', check: until('available'), timeoutMs: 60_000 });
        return new Map(keys.map((key) => [key, key === 'b' && times.length >= 3 ? 'available' : 'creating']));
      },
      clock,
      intervalMs: 100,
      factor: 10,
      maxIntervalMs: 1_000_000,
    });
    const waiting = poller.wait({ what: 'a', key: 'a', check: until('never'), timeoutMs: 2_000 });
    await expect(waiting).rejects.toThrow(/a/);
    await expect(joined).resolves.toBe('available');
    // a: polled at 0 (next due at 100), rides b's first round at 0 without backing off, due again at 100 with
    // b, then every 1000 ms as if alone: 1100, then its deadline.
    expect(times).toEqual([0, 0, 100, 1100, 2000]);
  });

  it('retries a round that was throttled, no sooner than its Retry-After, and the waits complete', async () => {
    const clock = fakeClock();
    let tries = 0;
    const throttled = Object.assign(new Error('429'), { retryAfterMs: 1500 });
    const poller = new SharedPoller<string>({
      fetch: async (keys) => {
        tries += 1;
        if (tries <= 2) throw throttled;
        return new Map(keys.map((key) => [key, 'available']));
      },
      retryable: (error) => error === throttled,
      retryAfterMs: (error) => (error as { retryAfterMs?: number }).retryAfterMs,
      clock,
      intervalMs: 10,
      random: () => 0,
    });
    const waits = ['a', 'b'].map((key) =>
      poller.wait({ what: key, key, check: until('available'), timeoutMs: 60_000 }),
    );
    await expect(Promise.all(waits)).resolves.toEqual(['available', 'available']);
    expect(tries).toBe(3);
    expect(poller.stats).toEqual({ rounds: 3, failedRounds: 2 });
    expect(clock.sleeps.filter((ms) => ms >= 1500)).toHaveLength(2);
  });

  it('backs off exponentially after failed rounds without a hint', async () => {
    const clock = fakeClock();
    let tries = 0;
    const poller = new SharedPoller<string>({
      fetch: async (keys) => {
        tries += 1;
        if (tries <= 4) throw new Error('RequestLimitExceeded');
        return new Map(keys.map((key) => [key, 'available']));
      },
      retryable: () => true,
      clock,
      intervalMs: 100,
      maxIntervalMs: 100_000,
      random: () => 0,
    });
    await poller.wait({ what: 'a', key: 'a', check: until('available'), timeoutMs: 60_000 });
    // Half of 200, 400, 800, 1600 with the jitter at its lowest.
    expect(clock.sleeps).toEqual([100, 200, 400, 800]);
  });

  it('fails only the wait whose volume is missing from the answer', async () => {
    const clock = fakeClock();
    const { fetch } = table({
      'vol-1': ['creating', 'creating', 'available'],
      'vol-2': ['creating'].concat([]),
      'vol-3': ['creating', 'creating', 'available'],
    });
    // vol-2 vanishes after the first round.
    const vanishing = async (keys: readonly string[]) => {
      const answer = new Map(await fetch(keys));
      if (poller.stats.rounds > 1) answer.delete('vol-2');
      return answer;
    };
    const poller = new SharedPoller<string>({ fetch: vanishing, clock, intervalMs: 10 });
    const waits = ['vol-1', 'vol-2', 'vol-3'].map((key) =>
      poller.wait({ what: key, key, check: until('available'), timeoutMs: 60_000 }).then(
        (value) => ({ value }),
        (error: Error) => ({ error: error.message }),
      ),
    );
    expect(await Promise.all(waits)).toEqual([
      { value: 'available' },
      { error: 'not found' },
      { value: 'available' },
    ]);
  });

  it('times out each waiter on its own bound, naming the last state', async () => {
    const clock = fakeClock();
    const poller = new SharedPoller<string>({
      fetch: async (keys) => new Map(keys.map((key) => [key, 'creating'])),
      clock,
      intervalMs: 100,
    });
    const short = poller.wait({ what: 'vol-1 to be ready', key: 'vol-1', check: until('x'), timeoutMs: 500 });
    const long = poller.wait({ what: 'vol-2 to be ready', key: 'vol-2', check: until('x'), timeoutMs: 5000 });
    const error = await short.catch((e: unknown) => e);
    expect(hasCode(error, 'TIMEOUT')).toBe(true);
    expect((error as TimeoutError).message).toContain('vol-1 to be ready');
    expect((error as TimeoutError).lastState).toBe('creating');
    await expect(long).rejects.toThrow(/vol-2 to be ready/);
  });

  it('ends every wait of a round whose fetch failed for good', async () => {
    const poller = new SharedPoller<string>({
      fetch: async () => {
        throw new Error('AuthFailure');
      },
      retryable: () => false,
      clock: fakeClock(),
    });
    const waits = ['a', 'b'].map((key) =>
      poller.wait({ what: key, key, check: until('x'), timeoutMs: 1000 }).catch((e: Error) => e.message),
    );
    expect(await Promise.all(waits)).toEqual(['AuthFailure', 'AuthFailure']);
  });

  it('stops waiting when the signal aborts, leaving the others', async () => {
    const clock = fakeClock();
    const controller = new AbortController();
    let rounds = 0;
    const poller = new SharedPoller<string>({
      fetch: async (keys) => {
        rounds += 1;
        if (rounds === 2) controller.abort(new Error('stopped'));
        return new Map(keys.map((key) => [key, rounds >= 4 ? 'available' : 'creating']));
      },
      clock,
      intervalMs: 10,
    });
    const aborted = poller.wait({
      what: 'a',
      key: 'a',
      check: until('available'),
      timeoutMs: 60_000,
      signal: controller.signal,
    });
    const other = poller.wait({ what: 'b', key: 'b', check: until('available'), timeoutMs: 60_000 });
    await expect(aborted).rejects.toThrow('stopped');
    await expect(other).resolves.toBe('available');
  });
});

describe('SharedPoller.look', () => {
  it('shares the round with the waiters and answers undefined for a missing key', async () => {
    const calls: (readonly string[])[] = [];
    const poller = new SharedPoller<string>({
      fetch: async (keys) => {
        calls.push(keys);
        return new Map(keys.filter((key) => key !== 'gone').map((key) => [key, 'available']));
      },
      clock: fakeClock(),
    });
    const [a, gone] = await Promise.all([poller.look('a'), poller.look('gone')]);
    expect([a, gone]).toEqual(['available', undefined]);
    expect(calls).toEqual([['a', 'gone']]);
  });

  it('rejects with a retryable failure of its round instead of retrying', async () => {
    const poller = new SharedPoller<string>({
      fetch: async () => {
        throw new Error('RequestLimitExceeded');
      },
      retryable: () => true,
      clock: fakeClock(),
    });
    await expect(poller.look('a')).rejects.toThrow('RequestLimitExceeded');
  });
});
