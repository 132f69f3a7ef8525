import { packageConfig } from '@flockerjs/vitest-config';

// TODO(driver-author): a test may take 5 minutes (a hang is caught then); raise testTimeout if a real attach of
// your backend can take longer.
export default packageConfig('driver-__driver_name__');
