#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';
import { heapFlags, main } from '../dist/src/cli/main.js';

// V8's heap sized for what the command does (src/cli/main.ts, heapFlags; BENCHMARKS.md for figures).
for (const flag of heapFlags(process.argv.slice(2))) setFlagsFromString(flag);

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`driftless: ${err?.message ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
