#!/usr/bin/env node
// The flocker-ledger command. The package is private tooling without a build step, so the TypeScript source
// runs through tsx (Node 20 cannot import .ts by itself).
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
