/**
 * What a user pays for `apply` and `drift`, timed from outside: whole `node bin/driftless.js`
 * processes (CPU, wall, peak RSS) at two sizes, so that the cost per resource at the margin is
 * the difference over the difference (the fixed cost of the command cancels). From empty: a new
 * data dir and an empty target; then the no-op re-apply (every file read back, nothing to do) and
 * `drift` (read-only refresh) on what it made. Beside each apply from empty, its lower bound: the
 * same tree written by a bare script the fs provider's way (bench/write-bound.ts), in turn before
 * and after it, so that both meet the disk in the same state.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Row, Scenario, ScenarioResult } from '../types.js';
import { generatedRepo } from '../generate.js';
import { CLI, configFile } from '../plan-world.js';
import { PACKAGE_ROOT, WORK_DIR, fmtMs, log, median } from '../util.js';
import { treeList } from '../write-bound.js';
import { loadMark, timeProcess, type ProcessSample } from '../whole-process.js';

type Phase = 'from empty' | 'no-op re-apply' | 'drift';
const BOUND = 'bare writes (bench/write-bound.ts)';
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
      samples[`bound ${n}`] = [];
      const list = join(base, `tree-${n}.json`);
      rmSync(list, { force: true });
      for (let i = 0; i < ctx.warmup + ctx.iterations; i++) {
        const dir = join(base, `${n}-${i}`);
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(join(dir, 'target'), { recursive: true });
        const config = configFile(dir, repo.dir, join(dir, 'data'), join(dir, 'target'));
        const bound = () => timeProcess(process.execPath, [join(PACKAGE_ROOT, 'dist', 'bench', 'write-bound.js'), list, join(dir, 'bound')]);
        const boundFirst = i % 2 === 1 && existsSync(list);
        const before = boundFirst ? await bound() : null;
        const empty = await timeProcess(process.execPath, [CLI, 'apply', '--auto-approve', '--config', config]);
        if (!new RegExp(`${repo.resources} done, 0 failed`).test(empty.stdout)) throw new Error(`apply from empty: ${empty.stdout.slice(-300)}`);
        if (!existsSync(list)) writeFileSync(list, JSON.stringify(treeList(join(dir, 'target'))));
        const bare = before ?? (await bound());
        const noop = await timeProcess(process.execPath, [CLI, 'apply', '--auto-approve', '--config', config]);
        if (!/No changes/.test(noop.stdout)) throw new Error(`no-op re-apply: ${noop.stdout.slice(-300)}`);
        const drift = await timeProcess(process.execPath, [CLI, 'drift', '--config', config]);
        rmSync(dir, { recursive: true, force: true });
        if (i < ctx.warmup) continue;
        samples[`from empty ${n}`].push(empty);
        samples[`bound ${n}`].push(bare);
        samples[`no-op re-apply ${n}`].push(noop);
        samples[`drift ${n}`].push(drift);
        const f = (x: ProcessSample) => `${fmtMs(x.cpuMs)} CPU / ${fmtMs(x.wallMs)} / ${x.rssMB.toFixed(0)} MB`;
        log(
          `  ${n} ${i - ctx.warmup + 1}/${ctx.iterations} (load ${empty.load.toFixed(1)}): from empty ${f(empty)} (bare writes ${f(bare)}); no-op ${f(noop)}; drift ${f(drift)}`,
        );
      }
    }
    const [small, big] = sizes;
    const med = (k: string, f: 'cpuMs' | 'wallMs' | 'rssMB') => median(samples[k].map((s) => s[f]));
    const rows: Row[] = [];
    for (const p of PHASES) {
      const mark = loadMark(samples[`${p} ${big}`]);
      const marginOf = (k: string) => (med(`${k} ${big}`, 'cpuMs') - med(`${k} ${small}`, 'cpuMs')) / (big - small);
      const margin = marginOf(p);
      const bare = p === 'from empty' ? marginOf('bound') : null;
      const over = `(${small.toLocaleString('en')} → ${big.toLocaleString('en')})${mark}`;
      rows.push({
        scenario: `9 ${p}, CLI`,
        metric: `CPU per resource at the margin ${over}`,
        unit: 'ms',
        driftless: margin,
        peer: bare,
        peerName: bare === null ? undefined : BOUND,
        ratio: bare === null ? undefined : margin / bare,
        target: `< ${TARGET_MS[p]} ms`,
        pass: ctx.quick ? null : margin < TARGET_MS[p],
        samples: { driftless: samples[`${p} ${big}`].map((s) => s.cpuMs), peer: samples[`${p} ${small}`].map((s) => s.cpuMs) },
      });
      if (bare !== null) {
        rows.push({
          scenario: `9 ${p}, CLI`,
          metric: `CPU per resource at the margin beyond the bare writes of the same tree ${over}`,
          unit: 'ms',
          driftless: margin - bare,
          peer: null,
          target: 'report',
          pass: null,
          samples: { driftless: samples[`bound ${big}`].map((s) => s.cpuMs), peer: samples[`bound ${small}`].map((s) => s.cpuMs) },
        });
      }
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
          `Beside each apply from empty (before it in odd runs, after it in even ones), ${BOUND} makes the same tree in another new directory of the same disk: ` +
          'each directory, each file written to a temporary name with its mode, chmod-ed and renamed into place (as the fs provider does), each symlink. ' +
          'Its margin is the peer: what creating those files costs on this disk at that moment, with nothing of driftless. ' +
          `Load average (1 min) at the ${big} applies: ${samples[`from empty ${big}`].map((s) => s.load.toFixed(1)).join(', ')}.`,
      ],
      details: { sizes, samples },
    };
  },
};
