import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'core-interface',
    include: ['test/**/*.test.ts'],
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
  },
});
