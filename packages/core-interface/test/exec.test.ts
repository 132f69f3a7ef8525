import { describe, expect, it } from 'vitest';
import { execCommand } from '../src/index.js';

describe('execCommand', () => {
  it('passes each argument as it is, never through a shell', async () => {
    const { stdout } = await execCommand('printf', ['%s|', 'a; rm -rf /', '$(id)', '`id`']);
    expect(stdout).toBe('a; rm -rf /|$(id)|`id`|');
  });

  it('rejects on a non-zero exit, carrying what the command wrote to stderr', async () => {
    await expect(execCommand('ls', ['--', '/nonexistent-flockerjs-path'])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('/nonexistent-flockerjs-path'),
    });
  });
});
