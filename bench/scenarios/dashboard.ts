import { join } from 'node:path';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import type { Scenario, ScenarioResult } from '../types.js';
import { startBenchService } from '../service-world.js';
import { median, percentile, spread, log, fmtMs, WORK_DIR, gitSync } from '../util.js';

const TARGET_MS = 150;

/**
 * Issue 12: the overview (`GET /`) of a repository with 100 stacks and 100,000 recorded resources
 * (1,000 per stack) and 10 runs per stack, rendered by the service (embedded state), measured as
 * the whole HTTP answer over loopback.
 */
export const dashboardScenario: Scenario = {
  name: 'dashboard',
  title: 'Dashboard overview: 100 stacks, 100,000 resources',
  async run(ctx): Promise<ScenarioResult> {
    const stacks = ctx.quick ? 10 : 100;
    const perStack = ctx.quick ? 100 : 1000;
    const base = join(WORK_DIR, 'runs', 'dashboard');
    rmSync(base, { recursive: true, force: true });
    const work = join(base, 'work');
    mkdirSync(work, { recursive: true });
    gitSync(work, 'init', '-q', '-b', 'main');
    for (const [k, v] of [
      ['user.email', 'dev@bench.invalid'],
      ['user.name', 'Dev'],
      ['commit.gpgsign', 'false'],
    ])
      gitSync(work, 'config', k, v);
    const names = Array.from({ length: stacks }, (_, i) => `s${String(i).padStart(3, '0')}`);
    writeFileSync(
      join(work, 'driftless.yaml'),
      ['version: 1', 'stacks:', ...names.flatMap((n) => [`  ${n}:`, `    path: stacks/${n}`, '    targets: { fs: files }'])].join('\n') + '\n',
    );
    for (const n of names) {
      mkdirSync(join(work, 'stacks', n), { recursive: true });
      writeFileSync(join(work, 'stacks', n, 'a.yaml'), `apiVersion: fs.driftless.dev/v1\nkind: File\nmetadata: { name: a }\nspec: { path: ${n}/a.txt }\n`);
    }
    gitSync(work, 'add', '-A');
    gitSync(work, 'commit', '-q', '-m', 'stacks');
    const { svc, stop } = await startBenchService(base, work);
    try {
      const db = svc.ctx.store.db;
      const head = gitSync(work, 'rev-parse', 'HEAD');
      log(`dashboard: seeding ${stacks * perStack} resources and ${stacks * 10} runs`);
      await db.query(
        `INSERT INTO resources (repo, stack, id, api_version, kind, name, spec)
         SELECT 'bench', 's' || lpad(s::text, 3, '0'), 'File/r' || r, 'fs.driftless.dev/v1', 'File', 'r' || r, jsonb_build_object('path', 'f' || r)
           FROM generate_series(0, $1 - 1) s, generate_series(1, $2) r`,
        [stacks, perStack],
      );
      await db.query(
        `INSERT INTO stacks (repo, stack, serial, applied_commit) SELECT 'bench', 's' || lpad(s::text, 3, '0'), $2, $3 FROM generate_series(0, $1 - 1) s`,
        [stacks, perStack, head],
      );
      await db.query(
        `INSERT INTO runs (repo, stack, kind, trigger, commit, started_at, finished_at, outcome)
         SELECT 'bench', 's' || lpad(s::text, 3, '0'), CASE WHEN k % 3 = 0 THEN 'drift' ELSE 'apply' END, 'bench', $2,
                now() - (k || ' minutes')::interval, now() - (k || ' minutes')::interval + interval '3 seconds', CASE WHEN k % 3 = 0 THEN 'drifted' ELSE 'succeeded' END
           FROM generate_series(0, $1 - 1) s, generate_series(1, 10) k`,
        [stacks, head],
      );
      const get = async (): Promise<number> => {
        const t0 = performance.now();
        const res = await fetch(`${svc.url}/`);
        const text = await res.text();
        if (res.status !== 200 || !text.includes(`id="stack-${names[stacks - 1]}"`))
          throw new Error(`the overview did not list every stack (HTTP ${res.status})`);
        return performance.now() - t0;
      };
      for (let i = 0; i < Math.max(1, ctx.warmup); i++) await get();
      const samples: number[] = [];
      const n = ctx.quick ? 3 : Math.max(20, ctx.iterations * 4);
      for (let i = 0; i < n; i++) samples.push(await get());
      const p50 = median(samples);
      const p99 = percentile(samples, 99);
      log(`dashboard: overview p50 ${fmtMs(p50)}, p99 ${fmtMs(p99)} (spread ${spread(samples).toFixed(2)})`);
      return {
        name: 'dashboard',
        title: this.title,
        rows: [
          {
            scenario: `9 dashboard overview (${stacks} stacks, ${stacks * perStack} resources)`,
            metric: 'GET / (median)',
            unit: 'ms',
            driftless: p50,
            peer: null,
            target: `< ${TARGET_MS} ms`,
            pass: ctx.quick ? null : p50 < TARGET_MS,
            samples: { driftless: samples, peer: [] },
          },
          {
            scenario: `9 dashboard overview (${stacks} stacks, ${stacks * perStack} resources)`,
            metric: 'GET / (p99)',
            unit: 'ms',
            driftless: p99,
            peer: null,
            target: 'report',
            pass: null,
          },
        ],
        notes: [
          'The overview reads no resource rows: its queries are one per kind of fact (latest runs, holds, drift checks, locks, queued lanes), not one per stack.',
        ],
      };
    } finally {
      await stop();
    }
  },
};
