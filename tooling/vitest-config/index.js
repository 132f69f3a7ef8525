// Plain JavaScript: vitest loads package configs through Node, which cannot import TypeScript on Node 20.
import { defineConfig, mergeConfig } from 'vitest/config';

/**
 * A package's vitest config: its tests under test/, the console reporter, and the JSON report that the root
 * test command sums into one `N passed, N failed` line.
 * @param {string} name the project name shown in test output
 * @param {import('vitest/config').ViteUserConfig} [overrides]
 */
export function packageConfig(name, overrides = {}) {
  return mergeConfig(
    defineConfig({
      test: {
        name,
        include: ['test/**/*.test.ts'],
        reporters: ['default', 'json'],
        outputFile: { json: 'test-results/vitest.json' },
      },
    }),
    overrides,
  );
}
