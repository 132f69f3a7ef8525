import { describe, expect, it } from 'vitest';
import { ControlClient, parseListenAddress, startMetricsEndpoint } from '../src/index.js';
import { runControl, startControlProcess } from './cli.js';
import { scratch } from './helpers.js';

/** The value of one sample line of a scrape, `undefined` when the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function scrape(url: string): Promise<string> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  return response.text();
}

describe('parseListenAddress', () => {
  it('reads HOST:PORT, IPv6 in brackets, port 0 included', () => {
    expect(parseListenAddress('127.0.0.1:9100')).toEqual({ host: '127.0.0.1', port: 9100 });
    expect(parseListenAddress('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseListenAddress('localhost:0')).toEqual({ host: 'localhost', port: 0 });
  });

  it.each(['9100', '127.0.0.1', ':9100', '127.0.0.1:99999', '::1:9100', 'host:port'])(
    'refuses %j, quoting it',
    (text) => {
      expect(() => parseListenAddress(text)).toThrow(JSON.stringify(text));
    },
  );
});

describe('startMetricsEndpoint', () => {
  it('serves driver and backend API counts at /metrics, and nothing else', async () => {
    const endpoint = await startMetricsEndpoint({ host: '127.0.0.1', port: 0 });
    try {
      expect(endpoint.url).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*\/metrics$/);
      endpoint.metrics.driverCall({
        backend: 'aws',
        method: 'createVolume',
        durationMs: 1500,
        outcome: 'success',
      });
      endpoint.metrics.driverCall({
        backend: 'aws',
        method: 'attachVolume',
        durationMs: 3,
        outcome: 'error',
        code: 'ALREADY_ATTACHED',
      });
      endpoint.metrics.backendApiCall({
        api: 'ec2',
        operation: 'DescribeVolumes',
        method: 'createVolume',
        attempts: 3,
        throttles: 2,
        outcome: 'success',
        durationMs: 10,
      });
      const text = await scrape(endpoint.url);
      const created = 'backend="aws",method="createVolume"';
      expect(sample(text, `flocker_driver_call_duration_seconds_count{${created}}`)).toBe(1);
      expect(sample(text, `flocker_driver_call_duration_seconds_bucket{le="1",${created}}`)).toBe(0);
      expect(sample(text, `flocker_driver_call_duration_seconds_bucket{le="2.5",${created}}`)).toBe(1);
      expect(
        sample(
          text,
          'flocker_driver_calls_total{backend="aws",method="attachVolume",outcome="error",code="ALREADY_ATTACHED"}',
        ),
      ).toBe(1);
      const describes = 'api="ec2",operation="DescribeVolumes"';
      expect(
        sample(text, `flocker_backend_api_calls_total{${describes},method="createVolume",outcome="success"}`),
      ).toBe(1);
      expect(sample(text, `flocker_backend_api_retries_total{${describes}}`)).toBe(2);
      expect(sample(text, `flocker_backend_api_throttles_total{${describes}}`)).toBe(2);
      expect(text).toContain('process_cpu_user_seconds_total');
      expect((await fetch(endpoint.url.replace('/metrics', '/'))).status).toBe(404);
    } finally {
      await endpoint.close();
    }
  });
});

describe('flocker-control --metrics', () => {
  it('serves /metrics on the address given, port 0 printed bound, counting API requests by route', async () => {
    const control = await startControlProcess([
      '--data-path',
      await scratch(),
      '--insecure-development-mode',
      '--metrics',
      '127.0.0.1:0',
    ]);
    const url = /metrics at (http:\/\/\S+)/.exec(control.output().stdout)?.[1];
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*\/metrics$/);
    const client = new ControlClient({ url: control.url });
    await client.version();
    await client.version();
    client.close();
    const series =
      'flocker_control_request_duration_seconds_count{method="GET",route="/v1/version",status="200"}';
    expect(sample(await scrape(url as string), series)).toBe(2);
    control.child.kill('SIGTERM');
    expect(await control.exited).toBe(0);
  });

  it('refuses a malformed address as bad usage (exit 2), naming the option', async () => {
    const result = await runControl(['--insecure-development-mode', '--metrics', 'localhost']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--metrics: expected HOST:PORT');
  });
});
