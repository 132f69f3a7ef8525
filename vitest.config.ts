// Every package's tests in one vitest (`npm test` runs it; `npx vitest run` here does too): see workspaceConfig.
import { workspaceConfig } from './tooling/vitest-config/index.js';

export default workspaceConfig();
