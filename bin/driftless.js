#!/usr/bin/env node
import { sizeHeap } from '../dist/src/cli/heap.js';
import { main } from '../dist/src/cli/main.js';

sizeHeap(process.argv.slice(2)); // V8's heap sized for what the command does (src/cli/heap.ts)

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`driftless: ${err?.message ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
