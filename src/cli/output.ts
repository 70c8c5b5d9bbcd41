import type { Writable } from 'node:stream';
import { formatDiagnostic, type Diagnostic } from '../manifests/diagnostics.js';
import type { ProgressEvent } from '../apply/executor.js';
import { advance, newBar, renderBar } from './progress-bar.js';

export interface Io {
  out: Writable & { isTTY?: boolean };
  err: Writable & { isTTY?: boolean };
  stdinIsTTY: boolean;
  ask(question: string): Promise<string>;
  env: NodeJS.ProcessEnv;
}

export function printDiagnostics(io: Io, ds: Diagnostic[]): void {
  for (const d of ds) io.err.write(`error: ${formatDiagnostic(d)}\n`);
}

/**
 * How `apply` shows its progress: on a terminal, one progress bar redrawn in place (done / total,
 * the resources being worked on, elapsed time) with failures printed above it; otherwise one plain
 * line per step. Call `end` when the apply is over (clears the bar).
 */
export function applyProgress(io: Io, now: () => number = Date.now): { onProgress: (e: ProgressEvent) => void; end: () => void } {
  if (!io.err.isTTY) {
    const printer = progressPrinter(io);
    return { onProgress: printer, end: printer.flush };
  }
  let bar = newBar(now());
  const width = Math.max(40, ((io.err as { columns?: number }).columns ?? 80) - 1);
  // Nothing is drawn before the first step: the plan and the confirmation prompt come first.
  const draw = () => bar.total && io.err.write(`\r\x1b[2K${renderBar(bar, now(), width)}`);
  const timer = setInterval(draw, 250);
  timer.unref();
  return {
    onProgress: (e) => {
      bar = advance(bar, e);
      if (e.type === 'failed') io.err.write(`\r\x1b[2K  ! ${e.id}: ${e.action} FAILED: ${e.error}\n`);
      draw();
    },
    end: () => {
      clearInterval(timer);
      if (bar.total) io.err.write(`\r\x1b[2K${renderBar(bar, now(), width)}\n`);
    },
  };
}

/**
 * One plain line per step. Lines are written together, once per turn of the event loop (and at
 * 16 KB): on a pipe, a write per line cost 0.08 ms each, a tenth of a 10,000-file apply's margin.
 */
export function progressPrinter(io: Io): ((e: ProgressEvent) => void) & { flush(): void } {
  const sign: Record<string, string> = { create: '+', update: '~', replace: '-/+', delete: '-' };
  let pending = '';
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (!pending) return;
    io.err.write(pending);
    pending = '';
  };
  const print = (e: ProgressEvent) => {
    const s = sign[e.action] ?? '*';
    if (e.type === 'start') pending += `  ${s} ${e.id}: ${e.action} ...\n`;
    else if (e.type === 'done') pending += `  ${s} ${e.id}: ${e.action} done (${e.ms} ms)\n`;
    else if (e.type === 'failed') pending += `  ! ${e.id}: ${e.action} FAILED: ${e.error}\n`;
    else pending += `  . ${e.id}: ${e.error}\n`;
    if (pending.length >= 16_384) flush();
    else if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
  return Object.assign(print, { flush });
}

export function useColor(io: Io, noColor?: boolean): boolean {
  return !noColor && !!io.out.isTTY && !io.env.NO_COLOR;
}
