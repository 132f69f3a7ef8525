import { packageConfig } from '@flockerjs/vitest-config';

// Attach and detach run losetup and create device nodes; a loaded machine can take seconds for a few of them.
export default packageConfig('cloud-emulator', { test: { testTimeout: 30_000, hookTimeout: 30_000 } });
