import { packageConfig } from '@flockerjs/vitest-config';

// The conformance files attach real loop devices through the emulator; a loaded machine can take seconds.
// They mostly wait on emulated transitions, not on the CPU, so three files run at once even on two cores.
export default packageConfig('driver-ebs', {
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 3,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
