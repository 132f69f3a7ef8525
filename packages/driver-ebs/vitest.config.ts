import { packageConfig } from '@flockerjs/vitest-config';

export default packageConfig('driver-ebs');
