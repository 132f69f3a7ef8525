import { describeEmulatedConformance, TEST_TIMINGS } from './emulated-cloud.js';

// The whole suite on a Xen instance: `/dev/sdf` shows up as `xvdf`, found by name (no by-id links).
describeEmulatedConformance('aws (emulated Xen)', {
  timings: TEST_TIMINGS,
  instances: [{ deviceMode: 'xen' }],
});
