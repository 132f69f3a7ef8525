import { packageConfig } from '@flockerjs/vitest-config';

// Test files share workers (see tooling/vitest-config): the modules load once per worker, not once per file.
// The real-OpenStack suite has its own config (vitest.openstack-real.config.ts) and never runs here.
export default packageConfig('driver-cinder', {
  test: { exclude: ['test/openstack-real/**'], isolate: false },
});
