import { InvalidConfigError, parseBackendConfig } from '@flockerjs/core-interface';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PROFILES, FLOCKER_BACKEND } from '../src/index.js';

const problemsOf = (dataset: Record<string, unknown>): readonly string[] => {
  try {
    parseBackendConfig(FLOCKER_BACKEND, { backend: 'aws', ...dataset });
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidConfigError);
    return (error as InvalidConfigError).problems;
  }
  throw new Error('expected INVALID_CONFIG');
};

describe('backend: aws configuration', () => {
  it('needs only the region; everything else has a default', () => {
    const config = parseBackendConfig(FLOCKER_BACKEND, { backend: 'aws', region: 'eu-west-1' });
    expect(config).toMatchObject({
      region: 'eu-west-1',
      imds_endpoint: 'http://169.254.169.254',
      device_root: '/dev',
      max_attempts: 10,
      timeouts: {
        create_ms: 300_000,
        attach_ms: 90_000,
        detach_ms: 300_000,
        destroy_ms: 300_000,
        device_ms: 60_000,
      },
      polling: { interval_ms: 50, factor: 1.1, max_interval_ms: 2_000 },
      profiles: DEFAULT_PROFILES,
    });
    expect(config.access_key_id).toBeUndefined();
  });

  it('names each bad key as dataset.<key>: message', () => {
    expect(problemsOf({})).toEqual(['dataset.region: required key is missing']);
    expect(problemsOf({ region: 'Ireland' })).toEqual([
      'dataset.region: must be an AWS region such as us-east-1',
    ]);
    expect(problemsOf({ region: 'us-east-1', endpiont: 'http://x' })).toEqual([
      'dataset.endpiont: unknown key; did you mean endpoint?',
    ]);
    expect(problemsOf({ region: 'us-east-1', device_root: 'dev' })).toEqual([
      'dataset.device_root: must be an absolute path',
    ]);
    expect(problemsOf({ region: 'us-east-1', timeouts: { attach_ms: 0 } })).toEqual([
      expect.stringMatching(/^dataset\.timeouts\.attach_ms: /),
    ]);
    expect(problemsOf({ region: 'us-east-1', profiles: { gold: { volume_type: 'io3' } } })).toEqual([
      expect.stringMatching(/^dataset\.profiles\.gold\.volume_type: /),
    ]);
  });

  it('refuses an io1 or io2 profile without IOPS when parsing, naming the key', () => {
    expect(
      problemsOf({
        region: 'us-east-1',
        profiles: { silver: { volume_type: 'io1' }, gold: { volume_type: 'io2' } },
      }),
    ).toEqual([
      'dataset.profiles.gold.iops_per_gib: required with volume_type io2, which EC2 creates only with provisioned IOPS',
      'dataset.profiles.silver.iops_per_gib: required with volume_type io1, which EC2 creates only with provisioned IOPS',
    ]);
    expect(
      parseBackendConfig(FLOCKER_BACKEND, {
        backend: 'aws',
        region: 'us-east-1',
        profiles: { silver: { volume_type: 'io1', iops_per_gib: 10 } },
      }).profiles.silver,
    ).toEqual({ volume_type: 'io1', iops_per_gib: 10 });
  });

  it('takes a compute_instance_id override and a page size EC2 accepts', () => {
    expect(problemsOf({ region: 'us-east-1', compute_instance_id: 'node-1' })).toEqual([
      'dataset.compute_instance_id: must be an EC2 instance id such as i-0123456789abcdef0',
    ]);
    expect(problemsOf({ region: 'us-east-1', page_size: 4 })).toEqual([
      expect.stringMatching(/^dataset\.page_size: /),
    ]);
  });

  it('takes static credentials only as a pair, and a session token only with them', () => {
    expect(problemsOf({ region: 'us-east-1', access_key_id: 'AKIA1' })).toEqual([
      'dataset.secret_access_key: required with access_key_id',
    ]);
    expect(problemsOf({ region: 'us-east-1', session_token: 'token' })).toEqual([
      'dataset.session_token: needs access_key_id and secret_access_key',
    ]);
  });

  it('never echoes a secret in a configuration error', () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY';
    const problems = problemsOf({ region: 'us-east-1', secret_access_key: secret, session_token: 12 });
    expect(problems.join('\n')).not.toContain(secret);
  });

  it('is a plugin the loader accepts: needs the cluster id, block deployer', () => {
    expect(FLOCKER_BACKEND).toMatchObject({ name: 'aws', needsClusterId: true, deployerType: 'block' });
  });
});
