import type { Scenario, ScenarioResult } from '../types.js';
import { appliedStack } from './state.js';
import { median, runChild, spread, log, fmtMs } from '../util.js';
import pg from 'pg';
import { findPostgresBin, startPostgres } from '../../testkit/postgres-server.js';
import { openState } from '../../src/state/open.js';
import { STACK } from '../generate.js';

/** The applied stack's recorded state copied into a fresh PostgreSQL database; returns its URL. */
async function stateInPostgres(serverUrl: string, dataDir: string): Promise<string> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query('CREATE DATABASE bench_state');
  await admin.end();
  const url = serverUrl.replace(/\/postgres$/, '/bench_state');
  const from = await openState({ dataDir, command: 'bench copy' });
  const to = await openState({ dataDir: `${dataDir}-unused`, url, command: 'bench copy' });
  try {
    const key = { repo: 'bench', stack: STACK };
    const state = await from.stackState(key);
    for (const r of (await from.resources(key)).values()) await to.putResource(key, r);
    if (state.appliedCommit) await to.setAppliedCommit(key, state.appliedCommit);
  } finally {
    await from.close();
    await to.close();
  }
  return url;
}

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
    // The same with state in PostgreSQL (the server deployment): the engine's own time and memory,
    // without the embedded store's wasm heap.
    const pgTimes: number[] = [];
    const pgRss: number[] = [];
    if (!ctx.quick && findPostgresBin()) {
      const server = await startPostgres();
      try {
        const stateUrl = await stateInPostgres(server.url, dataDir);
        for (let i = 0; i < ctx.warmup + ctx.iterations; i++) {
          const r = await runChild<ColdAnswer>('cold-plan', { repoPath: repo.dir, dataDir: `${dataDir}-pg`, targetRoot, stateUrl });
          if (i < ctx.warmup) continue;
          pgTimes.push(r.result.planMs);
          pgRss.push(r.maxRssMB ?? NaN);
          log(`  cold plan, PostgreSQL state ${i - ctx.warmup + 1}/${ctx.iterations}: ${fmtMs(r.result.planMs)}, peak RSS ${r.maxRssMB?.toFixed(0)} MB`);
        }
      } finally {
        await server.stop();
      }
    }
    const t = median(times);
    const m = median(rss);
    const phase = (k: string) => median(answers.map((a) => a.phases[k]));
    return {
      name: this.name,
      title: `${this.title}, ${n.toLocaleString('en')} manifests`,
      rows: [
        {
          scenario: `1 cold plan ${n / 1000}k`,
          metric: 'time',
          unit: 'ms',
          driftless: t,
          peer: null,
          target: '< 3 s',
          pass: ctx.quick ? null : t < 3000,
          samples: { driftless: times, peer: [] },
        },
        {
          scenario: `1 cold plan ${n / 1000}k`,
          metric: 'peak RSS',
          unit: 'MB',
          driftless: m,
          peer: null,
          target: '< 300 MB',
          pass: ctx.quick ? null : m < 300,
          samples: { driftless: rss, peer: [] },
        },
        ...(pgTimes.length
          ? [
              {
                scenario: `1 cold plan ${n / 1000}k, PostgreSQL state`,
                metric: 'time',
                unit: 'ms' as const,
                driftless: median(pgTimes),
                peer: null,
                target: '< 3 s',
                pass: median(pgTimes) < 3000,
                samples: { driftless: pgTimes, peer: [] },
              },
              {
                scenario: `1 cold plan ${n / 1000}k, PostgreSQL state`,
                metric: 'peak RSS',
                unit: 'MB' as const,
                driftless: median(pgRss),
                peer: null,
                target: '< 300 MB',
                pass: median(pgRss) < 300,
                samples: { driftless: pgRss, peer: [] },
              },
            ]
          : []),
      ],
      notes: [
        `Fresh process per run, engine caches empty, state store (embedded, ${repo.resources} recorded resources) opened before the clock starts ` +
          `(opening it took ${fmtMs(median(answers.map((a) => a.storeOpenMs)))}, once per process start). Repository: ${repo.files} files, ` +
          `${(repo.bytes / 2 ** 20).toFixed(1)} MB of YAML, packed. Phases (median): read driftless.yaml + schemas ${fmtMs(phase('repoConfigMs'))}, ` +
          `list + read + parse + validate + link ${fmtMs(phase('loadValidateMs'))}, plan against state ${fmtMs(phase('planMs'))}. ` +
          `Spread (max-min)/median: ${(spread(times) * 100).toFixed(0)}%. Peak RSS is the whole process (includes the embedded PGlite store); ` +
          `RSS at checkpoints (median): ${['afterOpen', 'afterStoreOpen', 'afterLoad', 'afterPlan'].map((k) => `${k} ${median(answers.map((a) => a.rssMB?.[k] ?? NaN)).toFixed(0)} MB`).join(', ')}.`,
      ],
      details: { n, times, rss, answers, pgTimes, pgRss },
    };
  },
};
