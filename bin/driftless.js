#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';
import { main, runsOnce } from '../dist/src/cli/main.js';

// A command other than `serve` runs once and exits, so its heap may stay close to what it holds.
// V8's young generation keeps its first size (1 MB semi-spaces instead of growing to 16 MB), and
// after a full collection the old generation may grow by half of what survived (instead of up to
// 4 times). A cold plan of 10,000 manifests peaks at 140 MB instead of 195 MB, for about 0.2 s more
// CPU (BENCHMARKS.md). The service keeps V8's defaults: it runs for long, and throughput counts.
if (runsOnce(process.argv.slice(2))) {
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString('--heap-growing-percent=50');
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`driftless: ${err?.message ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
