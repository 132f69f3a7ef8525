import { packageConfig } from '@flockerjs/vitest-config';

// The emulator suites only: attaching makes real loop devices, so a loaded machine can take seconds per test.
// The real-OpenStack suite has its own config (vitest.openstack-real.config.ts) and never runs here.
export default packageConfig('driver-cinder', {
  test: { exclude: ['test/openstack-real/**'], testTimeout: 60_000, hookTimeout: 60_000 },
});
