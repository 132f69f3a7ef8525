import { packageConfig } from '@flockerjs/vitest-config';

// Generous: TLS handshakes and child processes on a loaded shared machine; nothing here waits on a clock.
export default packageConfig('cluster-ca', { test: { testTimeout: 60_000, hookTimeout: 60_000 } });
