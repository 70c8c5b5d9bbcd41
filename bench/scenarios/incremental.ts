import { join } from 'node:path';
import { rmSync } from 'node:fs';
import type { Scenario, ScenarioResult } from '../types.js';
import { appliedStack } from './state.js';
import { copyRepo, commitOneFileChange } from '../generate.js';
import { benchConfig, planNoRefresh } from '../engine.js';
import { Workspace } from '../../src/engine/workspace.js';
import { median, spread, log, fmtMs, WORK_DIR, timed, profiled } from '../util.js';

export const incremental: Scenario = {
  name: 'incremental',
  title: 'Incremental re-plan after a one-file commit (warm, in-process)',
  async run(ctx): Promise<ScenarioResult> {
    const n = ctx.quick ? 100 : 10_000;
    const { repo, dataDir, targetRoot } = await appliedStack(n);
    const copy = await copyRepo(repo.dir, join(WORK_DIR, 'runs', `incremental-${n}.git`));
    const ws = await Workspace.open(benchConfig({ repoPath: copy, dataDir, targetRoot }), 'bench incremental');
    const times: number[] = [];
    const parsed: number[] = [];
    let coldMs = 0;
    try {
      const first = await timed(async () => planNoRefresh(ws, await ws.resolve(undefined, false)));
      coldMs = first.ms;
      log(`  first (cold) plan in this process: ${fmtMs(first.ms)}`);
      const file = repo.filePaths[Math.floor(repo.filePaths.length / 2)];
      await profiled(`incremental-${n}`, async () => {
        for (let i = 0; i < ctx.warmup + ctx.iterations; i++) {
          await commitOneFileChange(copy, file, `run ${i}`);
          const before = ws.loader.stats.parsed;
          const r = await timed(async () => planNoRefresh(ws, await ws.resolve(undefined, false)));
          if (r.value.summary.update !== 1) throw new Error(`expected 1 update after a one-file commit, got ${JSON.stringify(r.value.summary)}`);
          if (i < ctx.warmup) continue;
          times.push(r.ms);
          parsed.push(ws.loader.stats.parsed - before);
          log(`  re-plan ${i - ctx.warmup + 1}/${ctx.iterations}: ${fmtMs(r.ms)} (${parsed.at(-1)} file parsed)`);
        }
      });
    } finally {
      await ws.close();
      rmSync(copy, { recursive: true, force: true });
    }
    const t = median(times);
    return {
      name: this.name,
      title: `${this.title}, ${n.toLocaleString('en')} manifests`,
      rows: [
        {
          scenario: `2 incremental re-plan ${n / 1000}k`,
          metric: 'time',
          unit: 'ms',
          driftless: t,
          peer: null,
          target: '< 200 ms',
          pass: ctx.quick ? null : t < 200,
          samples: { driftless: times, peer: [] },
        },
      ],
      notes: [
        `One long-lived Workspace (as in the service); each run commits a change to one manifest (a new pack, as a fetch brings it), ` +
          `then resolves the branch and validates + plans (no refresh) against ${repo.resources} recorded resources. ` +
          `Files parsed per re-plan: ${median(parsed)}. The first plan in that process took ${fmtMs(coldMs)}. Spread: ${(spread(times) * 100).toFixed(0)}%.`,
      ],
      details: { n, times, parsed, coldMs },
    };
  },
};
