// flocker-dataset-agent --metrics, through the built CLI and a real scrape. No dataset is held, so the loopback
// driver only lists its empty root; it still opens only as root (it refuses to start where losetup cannot run).
import type { ChildProcess } from 'node:child_process';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { collect, eventually, makeWorld, skipUnlessRoot, type World } from './world.js';

let world: World;
beforeEach(async () => {
  world = await makeWorld('agent-metrics-');
});
afterEach(async () => {
  await world.cleanup();
});
/** Two agent runs and a few rounds, sized for a loaded machine (each wait inside is bounded too). */
const TIMEOUT_MS = 180_000;

/** The value of one series in a scrape; 0 when it is absent. */
function value(text: string, series: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

/** Resolves with the first match of `pattern` in the child's standard output. */
function outputMatch(child: ChildProcess, pattern: RegExp): Promise<string> {
  let stdout = '';
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = pattern.exec(stdout);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`the agent exited (${code}) before printing ${pattern}`)));
  });
}

it('serves /metrics on the address given; the listVolumes histogram moves with each round', {
  timeout: TIMEOUT_MS,
}, async (context) => {
  if (skipUnlessRoot) context.skip(skipUnlessRoot);
  // A first run writes node-a's agent.yml and converges the empty desired state.
  expect(await world.run('node-a')).toMatchObject({ code: 0 });
  const agent = world.start('node-a', { args: ['--metrics', '127.0.0.1:0'] });
  const exit = collect(agent);
  const url = await outputMatch(agent, /^metrics: (http:\/\/\S+)$/m);
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*\/metrics$/);

  const series = 'flocker_driver_call_duration_seconds_count{backend="loopback",method="listVolumes"}';
  let text = '';
  const scrape = async (): Promise<number> => {
    const response = await fetch(url);
    expect(response.status).toBe(200);
    text = await response.text();
    return value(text, series);
  };
  await eventually('a first round to list the volumes', async () => (await scrape()) > 0);
  const before = await scrape();
  // An edit of the desired file wakes the agent for another round, which lists the volumes again.
  await world.setDesired({ datasets: [] });
  await eventually('the listVolumes histogram to move', async () => (await scrape()) > before);
  expect(
    value(
      text,
      'flocker_driver_calls_total{backend="loopback",method="listVolumes",outcome="success",code=""}',
    ),
  ).toBe(value(text, series));
  expect(text).toMatch(
    /^flocker_driver_call_duration_seconds_bucket\{le="\+Inf",backend="loopback",method="listVolumes"\} [1-9]/m,
  );

  agent.kill('SIGTERM');
  expect(await exit).toMatchObject({ code: 0, signal: null });
});

it('refuses a malformed --metrics address as bad usage (exit 2), naming the option', {
  timeout: TIMEOUT_MS,
}, async () => {
  const result = await world.run('node-a', { args: ['--once', '--metrics', '9100'] });
  expect(result.code).toBe(2);
  expect(result.stderr).toContain('--metrics: expected HOST:PORT');
});
