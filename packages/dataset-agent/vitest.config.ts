import { packageConfig } from '@flockerjs/vitest-config';

export default packageConfig('dataset-agent');
