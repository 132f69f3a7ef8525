import { describeEmulatedConformance, TEST_TIMINGS } from './emulated-cloud.js';

// The whole suite on a Xen instance: `/dev/sdf` shows up as `xvdf`, found by name (no by-id links). Slow tier:
// it differs from the Nitro run only in device discovery, which the fast tier's acceptance run (Nitro to Xen) and
// device-discovery.test.ts cover.
describeEmulatedConformance('aws (emulated Xen)', {
  timings: TEST_TIMINGS,
  instances: [{ deviceMode: 'xen' }],
});
