import type { ViteUserConfig } from 'vitest/config';

export declare const SLOW_TESTS: string;
export declare const TEST_TIMEOUT_MS: number;
export declare const TIER_VARIABLE: string;
export declare function packageConfig(name: string, overrides?: ViteUserConfig): ViteUserConfig;
