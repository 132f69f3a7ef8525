import { packageConfig } from '@flockerjs/vitest-config';

// TODO(driver-author): a real backend takes seconds to attach a volume; raise the limits to what yours needs.
export default packageConfig('driver-__driver_name__', {
  test: { testTimeout: 60_000, hookTimeout: 60_000 },
});
