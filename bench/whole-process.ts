/** Whole processes timed from outside, as a user pays for them: wall clock, CPU time and peak RSS of the child. */
import { loadavg } from 'node:os';
import { median, runOk } from './util.js';

export interface ProcessSample {
  wallMs: number;
  /** User + system CPU of the child (and its children), from GNU time's rusage. */
  cpuMs: number;
  rssMB: number;
  /** The 1-minute load average when it started. */
  load: number;
  stdout: string;
}

/** Run `cmd args` to completion under GNU time; fails on a non-zero exit. */
export async function timeProcess(cmd: string, args: string[], opts: { cwd?: string; input?: string } = {}): Promise<ProcessSample> {
  const load = loadavg()[0];
  const r = await runOk('/usr/bin/time', ['-f', '__RUSAGE__ %e %U %S %M', cmd, ...args], opts);
  const m = /__RUSAGE__ ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr);
  if (!m) throw new Error(`no rusage from /usr/bin/time: ${r.stderr.slice(-500)}`);
  return { wallMs: r.ms, cpuMs: (Number(m[2]) + Number(m[3])) * 1000, rssMB: Number(m[4]) / 1024, load, stdout: r.stdout };
}

/** Figures measured at a load average over this are marked: on 2 cores, wall time then means little. */
export const LOADED = 4;

/** " (load 5.2 > 4)" when the median load of the samples was over LOADED, else "". */
export function loadMark(samples: { load: number }[]): string {
  const l = median(samples.map((s) => s.load));
  return l > LOADED ? ` (load ${l.toFixed(1)} > ${LOADED})` : '';
}
