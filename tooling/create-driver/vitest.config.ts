import { packageConfig } from '@flockerjs/vitest-config';

export default packageConfig('create-driver');
