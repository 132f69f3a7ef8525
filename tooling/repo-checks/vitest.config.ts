import { packageConfig } from '@flockerjs/vitest-config';

// Packing, npm installs and a generated driver's test run take seconds each on a loaded machine.
export default packageConfig('repo-checks', { test: { testTimeout: 300_000, hookTimeout: 300_000 } });
