import { execFileSync } from 'node:child_process';
import { cpus, totalmem, release, platform } from 'node:os';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Row, ScenarioResult } from './types.js';
import { fmtMs, PACKAGE_ROOT, RESULTS_DIR } from './util.js';

export interface RunInfo {
  date: string;
  commit: string;
  machine: string;
  node: string;
  git: string;
  quick: boolean;
  iterations: number;
  warmup: number;
}

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { cwd: PACKAGE_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

export function runInfo(quick: boolean, iterations: number, warmup: number): RunInfo {
  const dirty = sh('git', ['status', '--porcelain', '--', 'src', 'package.json']) ? ' (with uncommitted changes)' : '';
  const c = cpus();
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    commit: sh('git', ['rev-parse', '--short=12', 'HEAD']) + dirty,
    machine: `${c.length} × ${c[0]?.model.trim() ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${platform()} ${release()}`,
    node: process.version,
    git: sh('git', ['--version']).replace('git version ', ''),
    quick,
    iterations,
    warmup,
  };
}

function fmtValue(v: number | null, unit: Row['unit']): string {
  if (v === null || !Number.isFinite(v)) return '—';
  if (unit === 'MB') return `${v.toFixed(0)} MB`;
  if (unit === 'ms/resource') return v >= 100 ? `${v.toFixed(0)} ms/res` : v >= 1 ? `${v.toFixed(1)} ms/res` : `${v.toFixed(2)} ms/res`;
  return fmtMs(v);
}

function fmtRatio(r: number | null | undefined): string {
  if (r === null || r === undefined || !Number.isFinite(r)) return '—';
  if (r < 1) return `${r.toFixed(r < 0.1 ? 3 : 2)}× (${(1 / r).toFixed(r < 0.1 ? 0 : 1)}× faster)`;
  return `${r.toFixed(2)}×`;
}

const verdict = (p: boolean | null, target: string) => (p === true ? 'pass' : p === false ? 'MISS' : target === 'report' ? 'reported' : 'n/a');

export function tableRows(results: ScenarioResult[]): string[][] {
  const rows: string[][] = [];
  for (const r of results) {
    for (const row of r.rows) {
      rows.push([
        row.scenario,
        row.metric,
        fmtValue(row.driftless, row.unit),
        row.peer === null ? (row.peerName ? '—' : '') : `${fmtValue(row.peer, row.unit)}${row.peerName ? ` (${row.peerName})` : ''}`,
        fmtRatio(row.ratio),
        row.target,
        verdict(row.pass, row.target),
      ]);
    }
  }
  return rows;
}

const HEAD = ['scenario', 'metric', 'driftless (median)', 'peer (median)', 'ratio', 'target', 'result'];

export function textTable(results: ScenarioResult[]): string {
  const rows = [HEAD, ...tableRows(results)];
  const w = HEAD.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(w[i]))
      .join('  ')
      .trimEnd();
  return [line(rows[0]), w.map((x) => '-'.repeat(x)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

export function markdownTable(results: ScenarioResult[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [`| ${HEAD.join(' | ')} |`, `|${HEAD.map(() => '---').join('|')}|`, ...tableRows(results).map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

/** Write this run's JSON (bench/results/<date>.json) and the latest result of each scenario (bench/results/latest-<name>.json). */
export function writeResults(info: RunInfo, results: ScenarioResult[]): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${info.date.replace(/[:]/g, '-')}${info.quick ? '-quick' : ''}.json`);
  writeFileSync(file, JSON.stringify({ info, results }, null, 2) + '\n');
  if (!info.quick) for (const r of results) writeFileSync(join(RESULTS_DIR, `latest-${r.name}.json`), JSON.stringify({ info, result: r }, null, 2) + '\n');
  return file;
}

/** Every scenario's latest full (non-quick) result, in scenario order. */
export function latestResults(order: string[]): { info: RunInfo; result: ScenarioResult }[] {
  if (!existsSync(RESULTS_DIR)) return [];
  const out: { info: RunInfo; result: ScenarioResult }[] = [];
  const names = readdirSync(RESULTS_DIR).filter((f) => f.startsWith('latest-') && f.endsWith('.json'));
  for (const n of order) {
    const f = `latest-${n}.json`;
    if (names.includes(f)) out.push(JSON.parse(readFileSync(join(RESULTS_DIR, f), 'utf8')));
  }
  return out;
}

/** Rewrite BENCHMARKS.md from the latest full result of each scenario. */
export function writeBenchmarksMd(order: string[]): void {
  const latest = latestResults(order);
  if (!latest.length) return;
  const runs = new Map<string, RunInfo>();
  for (const l of latest) runs.set(`${l.info.date} ${l.info.commit}`, l.info);
  const results = latest.map((l) => l.result);
  const out: string[] = [
    '# Benchmarks',
    '',
    'Generated by `npm run bench` (do not edit by hand: the next run rewrites this file; the analysis after the notes per',
    'scenario is bench/analysis.md, appended as it is). Peers run for real on the same',
    "machine: git's CLI against `git http-backend`, Ansible (Debian's package) on localhost, `psql` for PostgreSQL. Every",
    'figure is a median of several runs after a warm-up; the machine is shared, so expect noise (spread is given per scenario).',
    '',
    '```',
    'npm run bench                       # every scenario (builds first)',
    'npm run bench -- --scenario NAME    # one: ' + order.join(', '),
    'npm run bench -- --quick            # small inputs, one run each: keeps the harness working (CI); timings not judged',
    '```',
    '',
    '## Runs',
    '',
    ...[...runs.values()].map((i) => `- ${i.date}, commit ${i.commit}: ${i.machine}; Node ${i.node}, git ${i.git}; ${i.iterations} runs + ${i.warmup} warm-up`),
    '',
    '## Results',
    '',
    markdownTable(results),
    '',
    'Ratio is driftless ÷ peer (lower is better).',
    '',
    '## Notes per scenario',
    '',
  ];
  for (const r of latest) {
    out.push(`### ${r.result.title}`, '', `_${r.info.date}, commit ${r.info.commit}_`, '');
    for (const n of r.result.notes) out.push(`- ${n}`);
    out.push('');
  }
  const analysis = join(PACKAGE_ROOT, 'bench', 'analysis.md');
  if (existsSync(analysis)) out.push(readFileSync(analysis, 'utf8').trim(), '');
  writeFileSync(join(PACKAGE_ROOT, 'BENCHMARKS.md'), out.join('\n'));
}
