import { packageConfig } from '@flockerjs/vitest-config';

// TODO(driver-author): each conformance case may take `timeoutMs` (an option of describeBlockDeviceAPI, 2 minutes
// by default); raise it there, not here, if a real attach of your backend can take longer: the workspace's
// `npm test` runs every package's files with the shared settings, and this config only in `pnpm test` here.
export default packageConfig('driver-__driver_name__');
