import { packageConfig } from '@flockerjs/vitest-config';

// The command's tests load backends and vitest itself in-process, or spawn the command: seconds each on a loaded
// machine.
export default packageConfig('conformance', { test: { testTimeout: 60_000, hookTimeout: 60_000 } });
