import { packageConfig } from '@flockerjs/vitest-config';

// The real-OpenStack suite has its own config (vitest.openstack-real.config.ts) and never runs here.
export default packageConfig('driver-cinder', { test: { exclude: ['test/openstack-real/**'] } });
