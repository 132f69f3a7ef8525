import { packageConfig } from '@flockerjs/vitest-config';

export default packageConfig('linux-block');
