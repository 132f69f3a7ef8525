import { packageConfig } from '@flockerjs/vitest-config';

// Test files share workers (see tooling/vitest-config): the modules load once per worker, not once per file.
export default packageConfig('repo-checks', { test: { isolate: false } });
