import { packageConfig } from '@flockerjs/vitest-config';

// Several tests start flocker-control as a process, or wait for a long poll: bounds sized for a loaded machine.
export default packageConfig('control-service', { test: { testTimeout: 60_000, hookTimeout: 60_000 } });
