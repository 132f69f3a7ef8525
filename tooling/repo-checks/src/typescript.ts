import { createRequire } from 'node:module';
import type TS from 'typescript';

let loaded: typeof TS | undefined;

/**
 * The TypeScript compiler API, loaded on first use: it is the largest module here (seconds of CPU to load), and
 * most users of this package (the driver generator, most checks) never need it. Loaded with `require`, as the
 * CommonJS module it is, which spares the scan of its 9 MB for named exports that an `import` makes.
 */
export function typescript(): typeof TS {
  loaded ??= createRequire(import.meta.url)('typescript') as typeof TS;
  return loaded;
}
