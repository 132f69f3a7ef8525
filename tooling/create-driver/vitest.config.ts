import { packageConfig } from '@flockerjs/vitest-config';

// The generator test installs a workspace copy offline and runs a generated driver's whole test suite.
export default packageConfig('create-driver', { test: { testTimeout: 900_000, hookTimeout: 900_000 } });
