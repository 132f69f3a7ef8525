import { packageConfig } from '@flockerjs/vitest-config';

// Conformance tests attach real loop devices; a slow disk can make one take seconds.
export default packageConfig('driver-loopback', { test: { testTimeout: 60_000, hookTimeout: 60_000 } });
