import { packageConfig } from '@flockerjs/vitest-config';

export default packageConfig('cloud-emulator');
