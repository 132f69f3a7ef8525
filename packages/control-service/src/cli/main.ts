#!/usr/bin/env node
import { flockerControl } from './flocker-control.js';

process.exitCode = await flockerControl(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  stopped: new Promise((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  }),
});
