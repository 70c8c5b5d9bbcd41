import { spawn, execFileSync, type SpawnOptions } from 'node:child_process';
import { join } from 'node:path';

import { PACKAGE_ROOT } from '../src/sdk/package-root.js';
import type { Row } from './types.js';

export { PACKAGE_ROOT };
/** Generated inputs and scratch space (git-ignored). */
export const WORK_DIR = join(PACKAGE_ROOT, 'bench', 'work');
export const RESULTS_DIR = join(PACKAGE_ROOT, 'bench', 'results');

export function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** Spread of samples as (max-min)/median, a rough noise figure. */
export function spread(xs: number[]): number {
  if (xs.length < 2) return 0;
  return (Math.max(...xs) - Math.min(...xs)) / median(xs);
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

export function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** A small deterministic PRNG (mulberry32), so generated inputs are the same on every machine. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** Peak resident set of the child in MB, when run under /usr/bin/time. */
  maxRssMB?: number;
}

/**
 * Run a command to completion, timing it. With `measureRss`, it runs under GNU time to get the
 * child's peak RSS (the time itself is measured here, so the wrapper's overhead is included: ~1 ms).
 */
export function run(cmd: string, args: string[], opts: SpawnOptions & { input?: string | Buffer; measureRss?: boolean } = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    let file = cmd;
    let argv = args;
    if (opts.measureRss) {
      file = '/usr/bin/time';
      argv = ['-f', '__MAXRSS__%M', cmd, ...args];
    }
    const t0 = performance.now();
    const child = spawn(file, argv, { ...opts, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      let stderr = Buffer.concat(err).toString('utf8');
      let maxRssMB: number | undefined;
      const m = /__MAXRSS__(\d+)/.exec(stderr);
      if (m) {
        maxRssMB = Number(m[1]) / 1024;
        stderr = stderr.replace(/__MAXRSS__\d+\n?/, '');
      }
      resolvePromise({ code, stdout: Buffer.concat(out).toString('utf8'), stderr, ms, maxRssMB });
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    else child.stdin!.end();
  });
}

/** Run and fail loudly on a non-zero exit. */
export async function runOk(cmd: string, args: string[], opts: SpawnOptions & { input?: string | Buffer; measureRss?: boolean } = {}): Promise<RunResult> {
  const r = await run(cmd, args, opts);
  // The end says why (a CLI prints its progress first and its failures last).
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}:\n${r.stdout.trim().slice(-1500)}\n${r.stderr.trim().slice(-1500)}`);
  return r;
}

export function gitSync(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024 }).trim();
}

/** Run a compiled bench child script (dist/bench/child.js) with a JSON request; returns its JSON answer and peak RSS. */
export async function runChild<T>(task: string, request: unknown, extraNodeArgs: string[] = []): Promise<{ result: T; ms: number; maxRssMB?: number }> {
  const script = join(PACKAGE_ROOT, 'dist', 'bench', 'child.js');
  const fromEnv = (process.env.BENCH_CHILD_NODE_ARGS ?? '').split(' ').filter(Boolean); // e.g. --cpu-prof --cpu-prof-dir=bench/work/prof
  const r = await run(process.execPath, ['--expose-gc', ...fromEnv, ...extraNodeArgs, script, task], {
    input: JSON.stringify(request),
    measureRss: true,
    cwd: PACKAGE_ROOT,
  });
  if (r.code !== 0) throw new Error(`bench child ${task} failed (exit ${r.code}):\n${r.stderr.trim().slice(0, 4000)}`);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return { result: JSON.parse(line) as T, ms: r.ms, maxRssMB: r.maxRssMB };
}

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

export function log(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

/**
 * Profile a section in-process (node:inspector), when BENCH_PROFILE_DIR is set: the measured part
 * only, not the set-up. Writes <dir>/<name>.cpuprofile; read it with `node dist/bench/profile.js FILE`.
 */
export async function profiled<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const dir = process.env.BENCH_PROFILE_DIR;
  if (!dir) return fn();
  const { Session } = await import('node:inspector/promises');
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  try {
    return await fn();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
    log(`  profile written to ${join(dir, `${name}.cpuprofile`)}`);
  }
}

/**
 * A row of times in milliseconds, judged `< targetMs` on its median, beside the median of its lower
 * bound measured in the same runs (not judged in a quick run).
 */
export function againstBound(
  scenario: string,
  metric: string,
  times: number[],
  bound: { name: string; times: number[] },
  targetMs: number,
  quick: boolean,
): Row {
  const t = median(times);
  const b = median(bound.times);
  return {
    scenario,
    metric,
    unit: 'ms',
    driftless: t,
    peer: b,
    peerName: bound.name,
    ratio: t / b,
    target: `< ${targetMs} ms`,
    pass: quick ? null : t < targetMs,
    samples: { driftless: times, peer: bound.times },
  };
}
