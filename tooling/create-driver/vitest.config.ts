import { packageConfig } from '@flockerjs/vitest-config';

// The generator test installs a workspace copy offline and runs a generated driver's whole test suite.
export default packageConfig('create-driver', { test: { testTimeout: 300_000, hookTimeout: 300_000 } });
