import { describeEmulatedConformance, TEST_TIMINGS } from './emulated-cloud.js';

// The whole suite on a Nitro instance: volumes show up as NVMe namespaces, found through the by-id links.
describeEmulatedConformance('aws (emulated Nitro)', {
  timings: TEST_TIMINGS,
  instances: [{ deviceMode: 'nitro' }],
});
