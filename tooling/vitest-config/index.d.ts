import type { ViteUserConfig } from 'vitest/config';

export declare function packageConfig(name: string, overrides?: ViteUserConfig): ViteUserConfig;
