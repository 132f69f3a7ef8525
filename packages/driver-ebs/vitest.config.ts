import { packageConfig } from '@flockerjs/vitest-config';

export default packageConfig('driver-ebs', {
  test: { env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } },
});
