import type { ViteUserConfig } from 'vitest/config';

export declare const SLOW_TESTS: string;
export declare const TEST_TIMEOUT_MS: number;
export declare const TIER_VARIABLE: string;
export declare const AFTER_NOBODY_VARIABLE: string;
export declare const NOBODY_REPORT: string;
export declare function passedAsNobody(packageDir: string): string[];
export declare function relativeTestPath(path: string): string;
export declare function packageConfig(name: string, overrides?: ViteUserConfig): ViteUserConfig;
