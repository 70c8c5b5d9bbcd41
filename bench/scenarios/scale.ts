/**
 * Scale: the CLI's whole-process plan of one stack of 1,000, 10,000 and 100,000 manifests (each
 * applied once first, so the plan compares against recorded state), cold (no parse cache) and
 * after a one-file commit, with CPU, wall and peak RSS; then how each grows with the number of
 * resources, as a least-squares line (fixed cost + cost per resource).
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Row, Scenario, ScenarioResult } from '../types.js';
import { commitOneFileChange } from '../generate.js';
import { CLI, planWorld } from '../plan-world.js';
import { fmtMs, gitSync, log, median } from '../util.js';
import { loadMark, timeProcess, type ProcessSample } from '../whole-process.js';

/** Least squares y = a + b·x. */
export function fitLine(points: [number, number][]): { a: number; b: number } {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const b = sxx ? sxy / sxx : 0;
  return { a: my - b * mx, b };
}

interface SizeResult {
  n: number;
  stacks: number;
  /** The first plan after the apply: it reads the store (a user's first plan after each apply does too). */
  first: ProcessSample;
  cold: ProcessSample[];
  replan: ProcessSample[];
}

/** The plans' totals over every stack the CLI printed: [stacks, to create, to update]. */
export function planTotals(stdout: string): [number, number, number] {
  const t: [number, number, number] = [0, 0, 0];
  for (const m of stdout.matchAll(/^Plan: (\d+) to create, (\d+) to update/gm)) {
    t[0]++;
    t[1] += Number(m[1]);
    t[2] += Number(m[2]);
  }
  return t;
}

async function measure(n: number, runs: number, stacks = 1): Promise<SizeResult> {
  const w = await planWorld(n, `scale-${n}${stacks === 1 ? '' : `-x${stacks}`}`, stacks);
  const plan = ['plan', '--no-refresh', '--config', w.config];
  const what = stacks === 1 ? `${n}` : `${n} in ${stacks} stacks`;
  const expect = (stdout: string, updates: number, label: string) => {
    const [planned, created, updated] = planTotals(stdout);
    if (planned !== stacks || created !== 0 || updated !== updates)
      throw new Error(`${label} of ${what}: expected ${stacks} plans and ${updates} update(s), got ${stdout.slice(-300)}`);
  };
  const coldPlan = async () => {
    // Cold: nothing parsed and no stack's plan kept (the state snapshot stays, as after any plan).
    rmSync(join(w.dataDir, 'parse-cache'), { recursive: true, force: true });
    for (const f of readdirSync(w.dataDir)) if (f.startsWith('plan-reuse.')) rmSync(join(w.dataDir, f), { force: true });
    gitSync(w.repo, 'update-ref', 'refs/heads/main', w.seed.repo.head);
    const cold = await timeProcess(process.execPath, [CLI, ...plan]);
    expect(cold.stdout, 0, 'cold plan');
    return cold;
  };
  // The first plan after the apply reads the store and leaves the state snapshot, which every later
  // plan reads (as a user's plans after the first do): reported on its own, not in the medians.
  const first = await coldPlan();
  log(`  ${what}: first plan after the apply (reads the store; not in the medians): ${fmtMs(first.cpuMs)} CPU / ${first.rssMB.toFixed(0)} MB`);
  const out: SizeResult = { n, stacks, first, cold: [], replan: [] };
  for (let i = 0; i < runs; i++) {
    const cold = await coldPlan();
    await commitOneFileChange(w.repo, w.seed.repo.filePaths[Math.floor(w.seed.repo.filePaths.length / 2)], `scale ${i}`);
    const replan = await timeProcess(process.execPath, [CLI, ...plan]);
    expect(replan.stdout, 1, 're-plan');
    out.cold.push(cold);
    out.replan.push(replan);
    const f = (x: ProcessSample) => `${fmtMs(x.cpuMs)} CPU / ${fmtMs(x.wallMs)} / ${x.rssMB.toFixed(0)} MB`;
    log(`  ${what}: ${i + 1}/${runs} (load ${cold.load.toFixed(1)}): cold plan ${f(cold)}; re-plan ${f(replan)}`);
  }
  rmSync(w.base, { recursive: true, force: true });
  return out;
}

export const scaleScenario: Scenario = {
  name: 'scale',
  title: 'Scale: the CLI plan of one stack of 1,000 to 100,000 manifests (cold, and after a one-file commit), and how it grows',
  async run(ctx): Promise<ScenarioResult> {
    const sizes = ctx.quick ? [100, 300] : [1_000, 10_000, 100_000];
    const split = ctx.quick ? { n: 300, stacks: 3 } : { n: 100_000, stacks: 100 };
    const results: SizeResult[] = [];
    // The largest size runs fewer times: one cold plan of it takes tens of seconds. Three, so the
    // median is a run's (its peak moved by 10-35 MB from run to run with where the last collection fell).
    const runsOf = (n: number) => (n >= 100_000 ? Math.min(3, ctx.iterations) : ctx.iterations);
    for (const n of sizes) results.push(await measure(n, runsOf(n)));
    const many = await measure(split.n, runsOf(split.n), split.stacks);
    const m = (xs: ProcessSample[], k: 'cpuMs' | 'wallMs' | 'rssMB') => median(xs.map((s) => s[k]));
    const largest = sizes.at(-1)!;
    /** The rows of one size: its medians, the largest one-stack size judged against the memory target. */
    const rowsOf = (r: SizeResult, k: string, judged: boolean): Row[] => {
      const mark = loadMark(r.cold);
      const row = (metric: string, unit: Row['unit'], v: number, extra: Partial<Row> = {}): Row => ({
        scenario: `10 scale ${k}`,
        metric,
        unit,
        driftless: v,
        peer: null,
        target: 'report',
        pass: null,
        ...extra,
      });
      const rss = m(r.cold, 'rssMB');
      return [
        row(`cold plan CPU${mark}`, 'ms', m(r.cold, 'cpuMs'), { samples: { driftless: r.cold.map((s) => s.cpuMs), peer: [] } }),
        row(`cold plan wall${mark}`, 'ms', m(r.cold, 'wallMs')),
        row('cold plan peak RSS', 'MB', rss, judged ? { target: '< 450 MB', pass: rss < 450 } : {}),
        row('first plan after the apply (reads the store, one run): CPU', 'ms', r.first.cpuMs),
        row('first plan after the apply (reads the store, one run): peak RSS', 'MB', r.first.rssMB),
        row(`re-plan after a one-file commit, wall${mark}`, 'ms', m(r.replan, 'wallMs')),
        row('re-plan peak RSS', 'MB', m(r.replan, 'rssMB')),
      ];
    };
    const rows: Row[] = [
      ...results.flatMap((r) => rowsOf(r, `${r.n / 1000}k`, r.n === largest && !ctx.quick)),
      ...rowsOf(many, `${split.n / 1000}k in ${split.stacks} stacks`, false),
    ];
    const fit = (get: (r: SizeResult) => number) => fitLine(results.map((r) => [r.n, get(r)]));
    const lines = {
      coldCpu: fit((r) => m(r.cold, 'cpuMs')),
      coldRss: fit((r) => m(r.cold, 'rssMB')),
      replanWall: fit((r) => m(r.replan, 'wallMs')),
      replanRss: fit((r) => m(r.replan, 'rssMB')),
    };
    const per = (l: { a: number; b: number }, unit: string, scale = 1) =>
      `${l.a.toFixed(0)} ${unit} + ${(l.b * scale).toFixed(3)} ${unit === 'MB' ? 'KB' : unit} × N`;
    return {
      name: this.name,
      title: this.title,
      rows,
      notes: [
        'Whole `node bin/driftless.js plan --no-refresh` processes under GNU time, on the generated stack applied once to an fs target with embedded state ' +
          '(a first plan after the apply, reported on its own row, reads the store and leaves the state snapshot; the runs in the medians read the snapshot). Cold: no parse cache and no kept plans. ' +
          "Re-plan: after a one-file commit, the parse cache warm and the cold plan's stacks kept: the changed stack's kept plan is patched by the changed file (src/engine/plan-patch.ts), and in the split repository the 99 stacks the commit did not touch are reused.",
        `Growth (least squares over ${sizes.map((n) => n.toLocaleString('en')).join(', ')}): cold plan CPU ${per(lines.coldCpu, 'ms')}; ` +
          `cold plan peak RSS ${per(lines.coldRss, 'MB', 1024)}; re-plan wall ${per(lines.replanWall, 'ms')}; re-plan peak RSS ${per(lines.replanRss, 'MB', 1024)}.`,
        `Split: the same generator's ${split.n.toLocaleString('en')} resources in ${split.stacks} stacks of about ${(split.n / split.stacks).toLocaleString('en')} ` +
          '(whole files per stack; a dependency on a parent directory in another stack is left out), applied once, planned whole.',
      ],
      details: { fits: lines, samples: results, split: many },
    };
  },
};
