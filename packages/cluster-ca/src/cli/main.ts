#!/usr/bin/env node
import { flockerCa } from './flocker-ca.js';

process.exitCode = await flockerCa(process.argv.slice(2), {
  cwd: process.cwd(),
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
