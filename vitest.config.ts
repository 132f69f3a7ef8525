// Every package's tests in one vitest (`npx vitest run` here): one start-up and one pool of workers for all of
// them. `npm test` runs each package's own vitest through turbo; scripts/test-as-nobody.mjs runs this one.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'tooling/*/vitest.config.ts'],
    // Most test files wait on processes, timers, loop devices and emulated clouds rather than on the CPU.
    maxWorkers: 4,
  },
});
