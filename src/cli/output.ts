import type { Writable } from 'node:stream';
import { formatDiagnostic, type Diagnostic } from '../manifests/diagnostics.js';
import type { ProgressEvent } from '../apply/executor.js';

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

export function progressPrinter(io: Io): (e: ProgressEvent) => void {
  const sign: Record<string, string> = { create: '+', update: '~', replace: '-/+', delete: '-' };
  return (e) => {
    const s = sign[e.action] ?? '*';
    if (e.type === 'start') io.err.write(`  ${s} ${e.id}: ${e.action} ...\n`);
    else if (e.type === 'done') io.err.write(`  ${s} ${e.id}: ${e.action} done (${e.ms} ms)\n`);
    else if (e.type === 'failed') io.err.write(`  ! ${e.id}: ${e.action} FAILED: ${e.error}\n`);
    else io.err.write(`  . ${e.id}: ${e.error}\n`);
  };
}

export function useColor(io: Io, noColor?: boolean): boolean {
  return !noColor && !!io.out.isTTY && !io.env.NO_COLOR;
}
