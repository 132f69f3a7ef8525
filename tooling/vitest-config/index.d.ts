import type { ViteUserConfig } from 'vitest/config';
import type { BaseSequencer } from 'vitest/node';

export declare const SLOW_TESTS: string;
export declare const TEST_TIMEOUT_MS: number;
export declare const TIER_VARIABLE: string;
export declare const AFTER_NOBODY_VARIABLE: string;
export declare const NOBODY_REPORT: string;
export declare const REPORT: string;
export declare function splitReport(root: string, reportFile: string, packageReport: string): void;
export declare function passedAsNobody(packageDir: string): string[];
export declare function relativeTestPath(path: string): string;
export declare function packageConfig(name: string, overrides?: ViteUserConfig): ViteUserConfig;
export declare function workspaceConfig(): ViteUserConfig;
export declare class LongestFirst extends BaseSequencer {}
export declare function testedPackages(
  root: string,
): { group: string; folder: string; dir: string; name: string }[];
export declare const MIN_NOBODY_SHARE: number;
export interface RunRow {
  name: string;
  files: { path: string; tests: number }[];
  passed: number;
  failed: number;
  skipped: number;
}
export declare function nobodyShare(
  rootRows: RunRow[],
  nobodyRows: RunRow[],
): { passed: number; all: number; share: number } | undefined;
