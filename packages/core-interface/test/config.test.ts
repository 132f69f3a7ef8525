import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  type AgentConfig,
  DEFAULT_CONTROL_SERVICE_PORT,
  type LoadResult,
  loadAgentConfig,
  parseAgentConfig,
} from '../src/index.js';

/** The cases of the original Flocker's agent.yml validation tests, starting from its valid configuration. */
function validConfig(): Record<string, unknown> {
  return {
    version: 1,
    'control-service': { hostname: '10.0.0.1', port: 1234 },
    dataset: { backend: 'loopback', root_path: '/x', compute_instance_id: 'node-a' },
  };
}

function parse(value: unknown): LoadResult<AgentConfig> {
  return parseAgentConfig(stringify(value));
}

function errorsOf(result: LoadResult<AgentConfig>): readonly string[] {
  expect(result.config).toBeUndefined();
  return result.errors ?? [];
}

describe('parseAgentConfig', () => {
  it('accepts a valid loopback configuration and keeps the backend keys', () => {
    expect(parse(validConfig())).toEqual({ config: validConfig() });
  });

  it('makes the control-service port optional, defaulting to 4524', () => {
    const config = validConfig();
    config['control-service'] = { hostname: '10.0.0.1' };
    expect(DEFAULT_CONTROL_SERVICE_PORT).toBe(4524);
    expect(parse(config).config?.['control-service']).toEqual({ hostname: '10.0.0.1', port: 4524 });
  });

  it('accepts a DNS host name', () => {
    const config = validConfig();
    config['control-service'] = { hostname: 'control.example.com' };
    expect(parse(config).config?.['control-service'].hostname).toBe('control.example.com');
  });

  it('rejects content that is not a mapping ("INVALID") at the top level', () => {
    expect(errorsOf(parseAgentConfig('INVALID'))).toEqual([
      expect.stringMatching(/^\(top level\): .*object/),
    ]);
  });

  it.each([
    ['empty', ''],
    ['only comments', '# agent.yml\n\n'],
    ['a null document', '~\n'],
  ])('says a file that is %s is empty, and what it must hold', (_title, text) => {
    expect(errorsOf(parseAgentConfig(text))).toEqual([
      expect.stringMatching(
        /^\(file\): the file is empty; agent.yml must hold at least `version: 1`, `control-service:` with its `hostname`, and `dataset:` with its `backend`/,
      ),
    ]);
  });

  it('names the key a misspelled top-level or nested key was meant to be', () => {
    const { 'control-service': control, ...rest } = validConfig();
    expect(errorsOf(parse({ ...rest, 'control-servce': control, logging: { levle: 'info' } }))).toEqual([
      'control-service: required key is missing',
      'logging.levle: unknown key; did you mean level?',
      'control-servce: unknown key; did you mean control-service?',
    ]);
  });

  it('rejects the invalid host name "-1"', () => {
    const config = validConfig();
    config['control-service'] = { hostname: '-1', port: 1234 };
    expect(errorsOf(parse(config))).toEqual([
      'control-service.hostname: must be a host name or an IP address',
    ]);
  });

  it.each(['::1', '192.0.2.1', 'control.example.com', 'node-1.example.com'])(
    'accepts the control-service host %s',
    (hostname) => {
      const config = validConfig();
      config['control-service'] = { hostname };
      expect(parse(config).config?.['control-service']).toEqual({ hostname, port: 4524 });
    },
  );

  it('rejects a missing control-service section', () => {
    const { 'control-service': _, ...config } = validConfig();
    expect(errorsOf(parse(config))).toEqual(['control-service: required key is missing']);
  });

  it('rejects a missing host name as control-service.hostname: required key is missing', () => {
    const config = validConfig();
    config['control-service'] = { port: 1234 };
    expect(errorsOf(parse(config))).toEqual(['control-service.hostname: required key is missing']);
  });

  it('rejects a missing version', () => {
    const { version: _, ...config } = validConfig();
    expect(errorsOf(parse(config))).toEqual(['version: required key is missing']);
  });

  it.each([2, 0])('rejects version %d, naming the version the file must have', (version) => {
    expect(errorsOf(parse({ ...validConfig(), version }))).toEqual([expect.stringMatching(/^version: .*1/)]);
  });

  it('rejects the port 1.1', () => {
    const config = validConfig();
    config['control-service'] = { hostname: '10.0.0.1', port: 1.1 };
    expect(errorsOf(parse(config))).toEqual([expect.stringMatching(/^control-service\.port: .*int/)]);
  });

  it.each([0, 65536])('rejects the port %d as out of range', (port) => {
    const config = validConfig();
    config['control-service'] = { hostname: '10.0.0.1', port };
    expect(errorsOf(parse(config))).toEqual([expect.stringMatching(/^control-service\.port: /)]);
  });

  it('rejects a missing dataset section', () => {
    const { dataset: _, ...config } = validConfig();
    expect(errorsOf(parse(config))).toEqual(['dataset: required key is missing']);
  });

  it('rejects a dataset section without a backend', () => {
    expect(errorsOf(parse({ ...validConfig(), dataset: {} }))).toEqual([
      'dataset.backend: required key is missing',
    ]);
  });

  it('rejects a dataset section that is a string ("invalid")', () => {
    expect(errorsOf(parse({ ...validConfig(), dataset: 'invalid' }))).toEqual([
      expect.stringMatching(/^dataset: .*object/),
    ]);
  });

  it('reports an unknown top-level key as <key>: unknown key', () => {
    expect(errorsOf(parse({ ...validConfig(), extra: 1 }))).toEqual(['extra: unknown key']);
  });

  it('reports an unknown key of control-service with its path', () => {
    const config = validConfig();
    config['control-service'] = { hostname: '10.0.0.1', tls: true };
    expect(errorsOf(parse(config))).toEqual(['control-service.tls: unknown key']);
  });

  it('lists several problems at once', () => {
    const errors = errorsOf(parse({ version: 2, 'control-service': { port: 0 }, extra: 1, other: 2 }));
    expect(errors).toHaveLength(6);
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^version: /),
        'control-service.hostname: required key is missing',
        expect.stringMatching(/^control-service\.port: /),
        'dataset: required key is missing',
        'extra: unknown key',
        'other: unknown key',
      ]),
    );
  });

  it('reports a YAML syntax error instead of throwing', () => {
    const errors = errorsOf(parseAgentConfig('version: 1\ncontrol-service: {hostname: a\n'));
    expect(errors).toEqual([expect.stringMatching(/^\(yaml\): .*line \d+/)]);
  });

  it('reports a YAML alias bomb (billion laughs) as a (yaml) error instead of throwing', () => {
    const levels = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    const lines = [`a: &a [${Array(9).fill('"x"').join(',')}]`];
    for (const [i, name] of levels.entries()) {
      if (i > 0)
        lines.push(
          `${name}: &${name} [${Array(9)
            .fill(`*${levels[i - 1]}`)
            .join(',')}]`,
        );
    }
    let result: LoadResult<AgentConfig> | undefined;
    expect(() => {
      result = parseAgentConfig(`${lines.join('\n')}\n`);
    }).not.toThrow();
    expect(result).toEqual({ errors: [expect.stringMatching(/^\(yaml\): .*alias/i)] });
  });

  it('reports duplicate keys instead of keeping the last one', () => {
    const text = 'version: 1\nversion: 1\ncontrol-service: {hostname: a.b}\ndataset: {backend: loopback}\n';
    expect(errorsOf(parseAgentConfig(text))).toEqual([expect.stringMatching(/^\(yaml\): .*unique.*line 2/)]);
  });

  it('defaults logging.level to info when the logging section is present', () => {
    const config = parse({ ...validConfig(), logging: { file: '/var/log/flocker/agent.log' } }).config;
    expect(config?.logging).toEqual({ level: 'info', file: '/var/log/flocker/agent.log' });
  });

  it('leaves logging undefined when the section is absent', () => {
    expect(parse(validConfig()).config?.logging).toBeUndefined();
  });

  it('rejects an unknown logging level, naming logging.level', () => {
    const errors = errorsOf(parse({ ...validConfig(), logging: { level: 'loud' } }));
    expect(errors).toEqual([expect.stringMatching(/^logging\.level: .*"info"/)]);
  });
});

describe('loadAgentConfig', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flockerjs-config-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads and validates a file', async () => {
    const path = join(dir, 'agent.yml');
    await writeFile(path, stringify(validConfig()));
    expect(await loadAgentConfig(path)).toEqual({ config: validConfig() });
  });

  it('reports the problems of an invalid file', async () => {
    const path = join(dir, 'invalid.yml');
    await writeFile(path, 'INVALID');
    expect((await loadAgentConfig(path)).errors).toEqual([expect.stringMatching(/^\(top level\): /)]);
  });

  it('returns an error naming the path of a missing file instead of throwing', async () => {
    const path = join(dir, 'missing.yml');
    expect(await loadAgentConfig(path)).toEqual({ errors: [`(file): cannot read ${path}: ENOENT`] });
  });

  it('returns an error for a path that is a directory', async () => {
    expect(await loadAgentConfig(dir)).toEqual({ errors: [`(file): cannot read ${dir}: EISDIR`] });
  });
});
