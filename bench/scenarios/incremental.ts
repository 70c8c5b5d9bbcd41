import { join } from 'node:path';
import { rmSync } from 'node:fs';
import type { Scenario, ScenarioResult } from '../types.js';
import { appliedStack } from './state.js';
import { copyRepo, commitOneFileChange } from '../generate.js';
import { benchConfig, planNoRefresh } from '../engine.js';
import { Workspace } from '../../src/engine/workspace.js';
import { againstBound, spread, log, fmtMs, WORK_DIR, gitSync, timed, profiled } from '../util.js';
import { lowerBoundLoader } from '../lower-bound-loader.js';

export const incremental: Scenario = {
  name: 'incremental',
  title: 'Incremental re-plan after a one-file commit (warm, in-process)',
  async run(ctx): Promise<ScenarioResult> {
    const n = ctx.quick ? 100 : 10_000;
    const { repo, dataDir, targetRoot } = await appliedStack(n);
    const copy = await copyRepo(repo.dir, join(WORK_DIR, 'runs', `incremental-${n}.git`));
    const ws = await Workspace.open(benchConfig({ repoPath: copy, dataDir, targetRoot }), 'bench incremental');
    const times: number[] = [];
    // The lower bound: one parse of the changed file (yaml + ajv, compiled once), in-process.
    const onePass: number[] = [];
    const load = lowerBoundLoader();
    let coldMs = 0;
    const started = Date.now();
    try {
      const first = await timed(async () => planNoRefresh(ws, await ws.resolve(undefined, false)));
      coldMs = first.ms;
      log(`  first (cold) plan in this process: ${fmtMs(first.ms)}`);
      const file = repo.filePaths[Math.floor(repo.filePaths.length / 2)];
      await profiled(`incremental-${n}`, async () => {
        for (let i = 0; i < ctx.warmup + ctx.iterations; i++) {
          // A stamp of this process: an edit made by an earlier bench run is in the data dir's parse cache.
          await commitOneFileChange(copy, file, `run ${i} at ${started}`);
          const before = ws.loader.stats.parsed;
          const r = await timed(async () => planNoRefresh(ws, await ws.resolve(undefined, false)));
          if (r.value.summary.update !== 1) throw new Error(`expected 1 update after a one-file commit, got ${JSON.stringify(r.value.summary)}`);
          const text = gitSync(copy, 'cat-file', 'blob', `refs/heads/main:${file}`);
          const t0 = performance.now();
          const one = load(text);
          const bound = performance.now() - t0;
          if (one.docs < 1 || one.invalid) throw new Error(`one parse of ${file}: ${JSON.stringify(one)}`);
          const parsed = ws.loader.stats.parsed - before;
          if (parsed !== 1) throw new Error(`a re-plan after a one-file commit parsed ${parsed} files, not 1`);
          if (i < ctx.warmup) continue;
          times.push(r.ms);
          onePass.push(bound);
          log(`  re-plan ${i - ctx.warmup + 1}/${ctx.iterations}: ${fmtMs(r.ms)} (1 file parsed; one parse ${fmtMs(bound)})`);
        }
      });
    } finally {
      await ws.close();
      rmSync(copy, { recursive: true, force: true });
    }
    return {
      name: this.name,
      title: `${this.title}, ${n.toLocaleString('en')} manifests`,
      rows: [
        againstBound(
          `2 incremental re-plan ${n / 1000}k`,
          'time',
          times,
          { name: 'one parse (yaml + ajv, the changed file, in-process)', times: onePass },
          100,
          ctx.quick,
        ),
      ],
      notes: [
        `One long-lived Workspace (as in the service); each run commits a change to one manifest (a new pack, as a fetch brings it), ` +
          `then resolves the branch and validates + plans (no refresh) against ${repo.resources} recorded resources. ` +
          `Files parsed per re-plan: 1 (checked). The peer is the least any re-plan does: the changed file parsed by \`yaml\` and validated by one ajv compiled beforehand (bench/lower-bound-loader.ts), in the same process. The first plan in that process took ${fmtMs(coldMs)}. Spread: ${(spread(times) * 100).toFixed(0)}%.`,
      ],
      details: { n, times, onePass, coldMs },
    };
  },
};
