import { defineConfig } from 'vitest/config';

// Only for the mutant run: no JSON report here, so the package's own test report is never overwritten.
export default defineConfig({
  test: {
    include: ['test/mutants/mutant.suite.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
