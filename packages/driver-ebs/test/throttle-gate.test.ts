import { setImmediate as turn } from 'node:timers/promises';
import { startCloudEmulator } from '@flockerjs/cloud-emulator';
import { type Clock, silentLogger } from '@flockerjs/core-interface';
import { describe, expect, it, vi } from 'vitest';
import {
  createSdkEc2Api,
  GateRetryStrategy,
  GateRetryToken,
  PROBE_REPORT_MS,
  THROTTLE_FIRST_PAUSE_MS,
  THROTTLE_MAX_PAUSE_MS,
  ThrottleGate,
} from '../src/index.js';

// The gate's logic on a clock the test moves by hand: nothing here depends on how fast the machine is. The last
// test runs the real SDK against the emulator, its gates on that same clock.

interface ManualClock extends Clock {
  /** Moves time on by `ms` and wakes every sleeper due by then. */
  advance(ms: number): Promise<void>;
  time: number;
}

function manualClock(): ManualClock {
  const sleepers: { until: number; wake: () => void }[] = [];
  const clock: ManualClock = {
    time: 0,
    now: () => clock.time,
    sleep: (ms, signal) =>
      new Promise<void>((wake, reject) => {
        const sleeper = { until: clock.time + ms, wake };
        sleepers.push(sleeper);
        signal?.addEventListener('abort', () => {
          sleepers.splice(sleepers.indexOf(sleeper), 1);
          reject(signal.reason);
        });
      }),
    async advance(ms) {
      clock.time += ms;
      for (const sleeper of sleepers.filter((s) => s.until <= clock.time)) {
        sleepers.splice(sleepers.indexOf(sleeper), 1);
        sleeper.wake();
      }
      await settle();
    },
  };
  return clock;
}

/** Lets every promise chain that can move on do so (no timers are involved). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i += 1) await turn();
}

/** Callers of `gate.open()`, and which of them it has let through so far. */
function callers(gate: ThrottleGate, count: number): { through: () => number[] } {
  const through: number[] = [];
  for (let index = 0; index < count; index += 1) void gate.open().then(() => through.push(index));
  return { through: () => [...through] };
}

/** Jitter fixed at its middle: a pause is 0.75 of its ceiling. */
const middle = () => 0.5;

describe('ThrottleGate', () => {
  it('lets calls go at once while its action is not throttled', async () => {
    const clock = manualClock();
    const gate = new ThrottleGate({ clock, random: middle });
    const { through } = callers(gate, 3);
    await settle();
    expect(through()).toEqual([0, 1, 2]);
    expect(clock.time).toBe(0);
  });

  it('after a throttle, holds calls for the pause, then lets them through one at a time', async () => {
    const clock = manualClock();
    const gate = new ThrottleGate({ clock, random: middle });
    gate.throttled();
    expect(gate.pausedUntil).toBe(THROTTLE_FIRST_PAUSE_MS * 0.75);
    const { through } = callers(gate, 3);
    await clock.advance(THROTTLE_FIRST_PAUSE_MS * 0.75 - 1);
    expect(through()).toEqual([]);
    await clock.advance(1);
    // One call probes the bucket; the others wait for its reply.
    expect(through()).toEqual([0]);
    await clock.advance(THROTTLE_MAX_PAUSE_MS);
    expect(through()).toEqual([0]);
    // Throttled again: the pause doubles.
    gate.throttled();
    expect(gate.streak).toBe(2);
    expect(gate.pausedUntil).toBe(clock.time + 2 * THROTTLE_FIRST_PAUSE_MS * 0.75);
    await clock.advance(2 * THROTTLE_FIRST_PAUSE_MS * 0.75);
    expect(through()).toEqual([0, 1]);
    // The probe got through: the next call goes at once, and the streak shrinks by one.
    gate.passed();
    await settle();
    expect(through()).toEqual([0, 1, 2]);
    expect(gate.streak).toBe(1);
  });

  it('once the streak is paid off, waiting calls all go together', async () => {
    const clock = manualClock();
    const gate = new ThrottleGate({ clock, random: middle });
    gate.throttled();
    const { through } = callers(gate, 4);
    await clock.advance(THROTTLE_FIRST_PAUSE_MS);
    expect(through()).toEqual([0]);
    gate.passed();
    await settle();
    expect(gate.streak).toBe(0);
    expect(through()).toEqual([0, 1, 2, 3]);
  });

  it('never pauses longer than THROTTLE_MAX_PAUSE_MS, however long the streak', async () => {
    const clock = manualClock();
    const gate = new ThrottleGate({ clock, random: () => 0.999_999 });
    const pauses: number[] = [];
    for (let streak = 0; streak < 12; streak += 1) {
      gate.throttled();
      pauses.push(gate.pausedUntil - clock.time);
      await clock.advance(gate.pausedUntil - clock.time);
    }
    expect(Math.max(...pauses)).toBeLessThanOrEqual(THROTTLE_MAX_PAUSE_MS);
    expect(pauses.at(-1)).toBeGreaterThan(THROTTLE_MAX_PAUSE_MS * 0.99);
    expect(pauses[1]).toBeGreaterThan(pauses[0] ?? 0);
  });

  it('replies throttled for calls sent before the pause started do not lengthen it', async () => {
    const clock = manualClock();
    const gate = new ThrottleGate({ clock, random: middle });
    // A burst of 5 went at once; all 5 come back throttled.
    for (let call = 0; call < 5; call += 1) gate.throttled();
    expect(gate.streak).toBe(1);
    expect(gate.pausedUntil).toBe(THROTTLE_FIRST_PAUSE_MS * 0.75);
  });

  it('a call that ends otherwise (settled) lets the next one go without changing the streak', async () => {
    const clock = manualClock();
    const gate = new ThrottleGate({ clock, random: middle });
    gate.throttled();
    const { through } = callers(gate, 2);
    await clock.advance(THROTTLE_FIRST_PAUSE_MS);
    expect(through()).toEqual([0]);
    gate.settled();
    await settle();
    expect(through()).toEqual([0, 1]);
    expect(gate.streak).toBe(1);
  });

  it('a call let through that never reports holds the others for PROBE_REPORT_MS, no longer', async () => {
    const clock = manualClock();
    const gate = new ThrottleGate({ clock, random: middle });
    gate.throttled();
    const { through } = callers(gate, 2);
    await clock.advance(THROTTLE_FIRST_PAUSE_MS);
    expect(through()).toEqual([0]);
    await clock.advance(PROBE_REPORT_MS - 1);
    expect(through()).toEqual([0]);
    await clock.advance(1);
    expect(through()).toEqual([0, 1]);
  });
});

describe('GateRetryStrategy', () => {
  const strategy = (clock: ManualClock, options: { maxAttempts?: number; throttleWaitMs?: number } = {}) => {
    const gate = new ThrottleGate({ clock, random: middle });
    return {
      gate,
      retry: new GateRetryStrategy({
        gate,
        clock,
        random: middle,
        maxAttempts: options.maxAttempts ?? 2,
        throttleWaitMs: options.throttleWaitMs ?? 60_000,
      }),
    };
  };
  const throttled = { errorType: 'THROTTLING' } as const;
  const serverError = { errorType: 'TRANSIENT' } as const;

  it('retries a throttled try when the gate opens, without counting it against maxAttempts', async () => {
    const clock = manualClock();
    const { retry } = strategy(clock, { maxAttempts: 1 });
    let token = await retry.acquireInitialRetryToken('');
    for (let throttle = 0; throttle < 20; throttle += 1) {
      const next = retry.refreshRetryTokenForRetry(token, throttled);
      await clock.advance(THROTTLE_MAX_PAUSE_MS);
      token = await next;
    }
    // Every try is counted (the SDK reports attempts as retries + 1), none as a failure.
    expect(token.getRetryCount()).toBe(20);
    expect(token.failures).toBe(0);
    expect(token.getRetryDelay()).toBe(0);
    retry.recordSuccess(token);
  });

  it('gives up on a call throttled for longer than throttleWaitMs', async () => {
    const clock = manualClock();
    const { retry, gate } = strategy(clock, { throttleWaitMs: 2_000 });
    let token = await retry.acquireInitialRetryToken('');
    let refused: unknown;
    while (refused === undefined) {
      const next = retry.refreshRetryTokenForRetry(token, throttled).then(
        (renewed) => {
          token = renewed;
        },
        (error: unknown) => {
          refused = error;
        },
      );
      await clock.advance(THROTTLE_MAX_PAUSE_MS);
      await next;
    }
    expect(clock.time).toBeGreaterThan(2_000);
    expect(clock.time).toBeLessThanOrEqual(2_000 + 2 * THROTTLE_MAX_PAUSE_MS);
    // The refused call does not hold the gate: the next call still gets through.
    const { through } = callers(gate, 1);
    await clock.advance(THROTTLE_MAX_PAUSE_MS);
    expect(through()).toEqual([0]);
  });

  it('with throttleWaitMs 0, the first throttle is the call’s failure', async () => {
    const clock = manualClock();
    const { retry } = strategy(clock, { throttleWaitMs: 0 });
    const token = await retry.acquireInitialRetryToken('');
    await expect(retry.refreshRetryTokenForRetry(token, throttled)).rejects.toThrow();
  });

  it('retries a server error after a backoff, up to maxAttempts tries', async () => {
    const clock = manualClock();
    const { retry } = strategy(clock, { maxAttempts: 3 });
    let token = await retry.acquireInitialRetryToken('');
    for (const failures of [1, 2]) {
      const next = retry.refreshRetryTokenForRetry(token, serverError);
      await clock.advance(20_000);
      token = await next;
      expect(token.failures).toBe(failures);
    }
    await expect(retry.refreshRetryTokenForRetry(token, serverError)).rejects.toThrow();
  });

  it('does not retry a client error', async () => {
    const clock = manualClock();
    const { retry } = strategy(clock, { maxAttempts: 10 });
    const token = await retry.acquireInitialRetryToken('');
    await expect(retry.refreshRetryTokenForRetry(token, { errorType: 'CLIENT_ERROR' })).rejects.toThrow();
  });

  it('a call that gets through takes a step off the streak of its action', async () => {
    const clock = manualClock();
    const { retry, gate } = strategy(clock);
    gate.throttled();
    gate.throttled();
    await clock.advance(gate.pausedUntil - clock.time);
    gate.throttled();
    expect(gate.streak).toBe(2);
    retry.recordSuccess(new GateRetryToken(0, 0, undefined));
    expect(gate.streak).toBe(1);
  });
});

describe('createSdkEc2Api', () => {
  // Bounded waits sized for a loaded machine (two CI runs side by side), far beyond their usual milliseconds.
  it('a throttled action waits at its own gate; other actions go on', { timeout: 240_000 }, async () => {
    const emulator = await startCloudEmulator({
      timings: { createMs: 0, attachMs: 0, detachMs: 0, deleteMs: 0 },
    });
    try {
      const clock = manualClock();
      const ec2 = createSdkEc2Api({
        region: emulator.region,
        endpoint: emulator.url,
        credentials: { accessKeyId: 'AKIAEMULATOR00000000', secretAccessKey: 'emulator-secret-key' },
        maxAttempts: 1,
        throttleWaitMs: 5_000,
        clock,
        logger: silentLogger,
        driverName: 'aws',
      });
      const [instance] = emulator.instances;
      const volume = await ec2.createVolume({
        zone: instance?.zone ?? '',
        sizeGiB: 1,
        volumeType: 'gp3',
        iops: undefined,
        tags: {},
        clientToken: 'throttle-gate-test',
      });
      // AttachVolume's bucket is empty and never refills; DescribeVolumes has none.
      emulator.faults.set({ rateLimits: { AttachVolume: { capacity: 0, refillPerSecond: 0 } } });
      let attachSettled = false;
      const attach = ec2.attachVolume(volume.id, instance?.id ?? '', '/dev/sdf').then(
        () => expect.fail('expected the attach to stay throttled'),
        (error: unknown) => error,
      );
      void attach.finally(() => {
        attachSettled = true;
      });
      await vi.waitFor(() => expect(emulator.faults.throttled.get('AttachVolume')).toBe(1), {
        timeout: 180_000,
      });
      // The attach waits at its gate (the clock has not moved): a describe is not held behind it.
      expect((await ec2.describeVolume(volume.id)).state).toBe('available');
      expect(emulator.faults.throttled.get('AttachVolume')).toBe(1);
      expect(attachSettled).toBe(false);
      // Past throttleWaitMs the attach fails with its throttle, transient, without another try.
      await clock.advance(5_001);
      expect(await attach).toMatchObject({
        code: 'BACKEND',
        failure: 'transient',
        ec2Code: 'RequestLimitExceeded',
      });
      expect(emulator.faults.throttled.get('AttachVolume')).toBe(1);
    } finally {
      await emulator.stop();
    }
  });
});
