/**
 * V8's heap sized for the command a process runs (bin/driftless.js calls sizeHeap first). A command
 * that only reads holds the repository's and the state's model, prints, and exits: its peak is its
 * live data times V8's growth. So the old generation grows by half of what survives a full
 * collection (instead of up to 4 times), and while the heap is small the young generation keeps its
 * first size (1 MB semi-spaces, not up to 16 MB): a cold plan of 10,000 manifests peaks at 125 MB
 * instead of 195 MB. Past 128 MB in use the young generation grows as V8 would: with hundreds of MB
 * live, objects promoted after a 1 MB young generation made more full collections (100,000
 * manifests: 20% more CPU and a higher peak). It grows to 16 MB (8 MB semi-spaces) and no further:
 * at V8's 32 MB a plan of 100,000 manifests peaked at 454-464 MB, at 16 MB 416-420 MB, for the
 * same CPU. Past 128 MB the old generation also grows by a quarter instead of a half (100,000:
 * 405-424 → 382-406 MB). A command that writes (apply, adopt, rollback, demo, drift --remediate) allocates far
 * more than it keeps (the journal, the store's writes): there a smaller heap cost an apply from
 * empty 10-20% more CPU, so it keeps V8's defaults, as the service does (it runs for long, and
 * throughput counts). BENCHMARKS.md has the figures.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { parseCommandLine } from './args.js';

/** Commands that read and print. */
const READ_ONLY = new Set<string>(['validate', 'plan', 'drift', 'graph', 'history', 'policy', 'help']);

/** Heap in use past which the young generation grows as V8's default. */
const SMALL_YOUNG_UNTIL = 128 * 2 ** 20;
/**
 * How far the old generation may grow past what survived a full collection, once the heap is large
 * (50% below): 100,000 manifests in one stack peaked at 405-424 MB with 50, 382-406 MB with 25, for
 * the same CPU within noise; 10 or 15 gave no lower peak and more CPU.
 */
const LARGE_HEAP_GROWING_PERCENT = 25;
/** The young generation's size (both semi-spaces) at which it stops growing. */
const YOUNG_MAX = 16 * 2 ** 20;

/** The V8 flags a command line's process starts with (none: V8's defaults). Pure. */
export function heapFlags(argv: string[]): string[] {
  try {
    const { command, flags } = parseCommandLine(argv);
    if (!READ_ONLY.has(command) || (command === 'drift' && flags.remediate)) return [];
  } catch {
    /* a command line in error: a usage message */
  }
  return ['--semi-space-growth-factor=1', '--heap-growing-percent=50'];
}

/** Set the flags for this process's command line, and let the young generation grow once the heap is large. */
export function sizeHeap(argv: string[]): void {
  const flags = heapFlags(argv);
  for (const flag of flags) setFlagsFromString(flag);
  if (!flags.length) return;
  let growing = false;
  const watch = new PerformanceObserver(() => {
    if (!growing) {
      if (process.memoryUsage().heapUsed < SMALL_YOUNG_UNTIL) return;
      setFlagsFromString('--semi-space-growth-factor=2'); // V8's default
      setFlagsFromString(`--heap-growing-percent=${LARGE_HEAP_GROWING_PERCENT}`);
      growing = true;
    }
    const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
    if (young < YOUNG_MAX) return;
    setFlagsFromString('--semi-space-growth-factor=1');
    watch.disconnect();
  });
  watch.observe({ entryTypes: ['gc'] });
}
