import { packageConfig } from '@flockerjs/vitest-config';

export default packageConfig('control-service');
