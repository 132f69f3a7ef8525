import { defineConfig } from 'vitest/config';

// The suite against real Keystone, Cinder and Nova from tooling/openstack-real (start them with its setup.sh).
// Its own config and file name (`*.suite.ts`, not `*.test.ts`): `npm test` never runs it, and it runs no
// emulator suite.
export default defineConfig({
  test: {
    name: 'driver-cinder-openstack-real',
    include: ['test/openstack-real/**/*.suite.ts'],
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest-openstack-real.json' },
    testTimeout: 180_000,
    hookTimeout: 300_000,
    fileParallelism: false,
  },
});
