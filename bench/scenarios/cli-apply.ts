/**
 * What a user pays for `apply` and `drift`, timed from outside: whole `node bin/driftless.js`
 * processes (CPU, wall, peak RSS) at two sizes, so that the cost per resource at the margin is
 * the difference over the difference (the fixed cost of the command cancels). From empty: a new
 * data dir and an empty target; then the no-op re-apply (every file read back, nothing to do) and
 * `drift` (read-only refresh) on what it made.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Row, Scenario, ScenarioResult } from '../types.js';
import { generatedRepo } from '../generate.js';
import { CLI, configFile } from '../plan-world.js';
import { WORK_DIR, fmtMs, log, median } from '../util.js';
import { loadMark, timeProcess, type ProcessSample } from '../whole-process.js';

type Phase = 'from empty' | 'no-op re-apply' | 'drift';
const PHASES: Phase[] = ['from empty', 'no-op re-apply', 'drift'];
/** The targets per resource at the margin (issue: apply from empty < 1 ms, no-op and drift < 0.3 ms). */
const TARGET_MS: Record<Phase, number> = { 'from empty': 1, 'no-op re-apply': 0.3, drift: 0.3 };

export const cliApply: Scenario = {
  name: 'cli-apply',
  title: 'The CLI as users run it: whole-process apply from empty, no-op re-apply and drift, cost per resource at the margin',
  async run(ctx): Promise<ScenarioResult> {
    const sizes = ctx.quick ? [100, 300] : [1_000, 10_000];
    const base = join(WORK_DIR, 'runs', 'cli-apply');
    const samples: Record<string, ProcessSample[]> = {};
    for (const n of sizes) {
      const repo = await generatedRepo(n);
      for (const p of PHASES) samples[`${p} ${n}`] = [];
      for (let i = 0; i < ctx.warmup + ctx.iterations; i++) {
        const dir = join(base, `${n}-${i}`);
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(join(dir, 'target'), { recursive: true });
        const config = configFile(dir, repo.dir, join(dir, 'data'), join(dir, 'target'));
        const empty = await timeProcess(process.execPath, [CLI, 'apply', '--auto-approve', '--config', config]);
        if (!new RegExp(`${repo.resources} done, 0 failed`).test(empty.stdout)) throw new Error(`apply from empty: ${empty.stdout.slice(-300)}`);
        const noop = await timeProcess(process.execPath, [CLI, 'apply', '--auto-approve', '--config', config]);
        if (!/No changes/.test(noop.stdout)) throw new Error(`no-op re-apply: ${noop.stdout.slice(-300)}`);
        const drift = await timeProcess(process.execPath, [CLI, 'drift', '--config', config]);
        rmSync(dir, { recursive: true, force: true });
        if (i < ctx.warmup) continue;
        samples[`from empty ${n}`].push(empty);
        samples[`no-op re-apply ${n}`].push(noop);
        samples[`drift ${n}`].push(drift);
        const f = (x: ProcessSample) => `${fmtMs(x.cpuMs)} CPU / ${fmtMs(x.wallMs)} / ${x.rssMB.toFixed(0)} MB`;
        log(`  ${n} ${i - ctx.warmup + 1}/${ctx.iterations} (load ${empty.load.toFixed(1)}): from empty ${f(empty)}; no-op ${f(noop)}; drift ${f(drift)}`);
      }
    }
    const [small, big] = sizes;
    const med = (k: string, f: 'cpuMs' | 'wallMs' | 'rssMB') => median(samples[k].map((s) => s[f]));
    const rows: Row[] = [];
    for (const p of PHASES) {
      const mark = loadMark(samples[`${p} ${big}`]);
      const margin = (med(`${p} ${big}`, 'cpuMs') - med(`${p} ${small}`, 'cpuMs')) / (big - small);
      rows.push({
        scenario: `9 ${p}, CLI`,
        metric: `CPU per resource at the margin (${small.toLocaleString('en')} → ${big.toLocaleString('en')})${mark}`,
        unit: 'ms',
        driftless: margin,
        peer: null,
        target: `< ${TARGET_MS[p]} ms`,
        pass: ctx.quick ? null : margin < TARGET_MS[p],
        samples: { driftless: samples[`${p} ${big}`].map((s) => s.cpuMs), peer: samples[`${p} ${small}`].map((s) => s.cpuMs) },
      });
      for (const [label, f, unit] of [
        ['CPU', 'cpuMs', 'ms'],
        ['wall', 'wallMs', 'ms'],
        ['peak RSS', 'rssMB', 'MB'],
      ] as const) {
        rows.push({
          scenario: `9 ${p}, CLI`,
          metric: `${big.toLocaleString('en')} resources: ${label}${mark}`,
          unit,
          driftless: med(`${p} ${big}`, f),
          peer: null,
          target: 'report',
          pass: null,
          samples: { driftless: samples[`${p} ${big}`].map((s) => s[f]), peer: [] },
        });
      }
    }
    return {
      name: this.name,
      title: this.title,
      rows,
      notes: [
        `Each figure is a whole \`node bin/driftless.js\` process under GNU time (CPU = user + system of the child, peak RSS of the child), ` +
          `embedded state, fs provider, the generated repository (mixed YAML styles) at ${sizes.join(' and ')} resources. Per size and run: ` +
          '`apply --auto-approve` into a new data dir and an empty target, the same again (every file read back, no change), then `drift`. ' +
          `The margin is (median CPU at ${big} − median CPU at ${small}) / ${big - small}: the command's fixed cost cancels. ` +
          `Load average (1 min) at the ${big} applies: ${samples[`from empty ${big}`].map((s) => s.load.toFixed(1)).join(', ')}.`,
      ],
      details: { sizes, samples },
    };
  },
};
