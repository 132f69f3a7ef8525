import { packageConfig } from '@flockerjs/vitest-config';

// Test files share workers (see tooling/vitest-config): the modules load once per worker, not once per file.
export default packageConfig('driver-ebs', {
  test: { env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }, isolate: false },
});
