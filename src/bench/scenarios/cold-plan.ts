import type { Scenario, ScenarioResult } from '../types.js';
import { appliedStack } from './state.js';
import { median, runChild, spread, log, fmtMs } from '../util.js';

interface ColdAnswer {
  storeOpenMs: number;
  planMs: number;
  phases: Record<string, number>;
  summary: Record<string, number>;
  resources: number;
  loader: { parsed: number; cached: number };
  heapUsedMB: number;
  rssMB?: Record<string, number>;
}

export const coldPlan: Scenario = {
  name: 'cold-plan',
  title: 'Cold validate + plan (no refresh)',
  async run(ctx): Promise<ScenarioResult> {
    const n = ctx.quick ? 100 : 10_000;
    const { repo, dataDir, targetRoot } = await appliedStack(n);
    const times: number[] = [];
    const rss: number[] = [];
    const answers: ColdAnswer[] = [];
    for (let i = 0; i < ctx.warmup + ctx.iterations; i++) {
      const r = await runChild<ColdAnswer>('cold-plan', { repoPath: repo.dir, dataDir, targetRoot });
      if (r.result.resources !== repo.resources) throw new Error(`planned ${r.result.resources} resources, expected ${repo.resources}`);
      if (i < ctx.warmup) continue;
      times.push(r.result.planMs);
      rss.push(r.maxRssMB ?? NaN);
      answers.push(r.result);
      log(`  cold plan ${i - ctx.warmup + 1}/${ctx.iterations}: ${fmtMs(r.result.planMs)}, peak RSS ${r.maxRssMB?.toFixed(0)} MB`);
    }
    const t = median(times);
    const m = median(rss);
    const phase = (k: string) => median(answers.map((a) => a.phases[k]));
    return {
      name: this.name,
      title: `${this.title}, ${n.toLocaleString('en')} manifests`,
      rows: [
        { scenario: `1 cold plan ${n / 1000}k`, metric: 'time', unit: 'ms', driftless: t, peer: null, target: '< 3 s', pass: ctx.quick ? null : t < 3000, samples: { driftless: times, peer: [] } },
        { scenario: `1 cold plan ${n / 1000}k`, metric: 'peak RSS', unit: 'MB', driftless: m, peer: null, target: '< 300 MB', pass: ctx.quick ? null : m < 300, samples: { driftless: rss, peer: [] } },
      ],
      notes: [
        `Fresh process per run, engine caches empty, state store (embedded, ${repo.resources} recorded resources) opened before the clock starts ` +
          `(opening it took ${fmtMs(median(answers.map((a) => a.storeOpenMs)))}, once per process start). Repository: ${repo.files} files, ` +
          `${(repo.bytes / 2 ** 20).toFixed(1)} MB of YAML, packed. Phases (median): read driftless.yaml + schemas ${fmtMs(phase('repoConfigMs'))}, ` +
          `list + read + parse + validate + link ${fmtMs(phase('loadValidateMs'))}, plan against state ${fmtMs(phase('planMs'))}. ` +
          `Spread (max-min)/median: ${(spread(times) * 100).toFixed(0)}%. Peak RSS is the whole process (includes the embedded PGlite store); ` +
          `RSS at checkpoints (median): ${['afterOpen', 'afterStoreOpen', 'afterLoad', 'afterPlan'].map((k) => `${k} ${median(answers.map((a) => a.rssMB?.[k] ?? NaN)).toFixed(0)} MB`).join(', ')}.`,
      ],
      details: { n, times, rss, answers },
    };
  },
};
