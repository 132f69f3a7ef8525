import { describe, expect, it } from 'vitest';
import { type Clock, hasCode, type PollResult, TimeoutError, waitFor } from '../src/index.js';

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
