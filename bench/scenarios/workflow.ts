import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Scenario, ScenarioResult } from '../types.js';
import { copyRepo, fastImportStream, TARGET } from '../generate.js';
import { benchConfig, freshDataDir } from '../engine.js';
import { Workspace } from '../../src/engine/workspace.js';
import { planAll } from '../../src/engine/plan-stacks.js';
import { applyWorkflow } from '../../src/engine/apply-workflow.js';
import { median, spread, log, fmtMs, WORK_DIR, timed, runOk, gitSync } from '../util.js';

/**
 * A workflow of S stacks × N resources: stack s0 is the root; each s(i) depends on s(i-1) and one of
 * its files takes s(i-1)'s File/f0 sha256 with `!ref`. Built once with fast-import, applied once.
 */
async function workflowRepo(stacks: number, n: number): Promise<{ dir: string; dataDir: string; targetRoot: string }> {
  const base = join(WORK_DIR, 'workflow', `s${stacks}-n${n}-v1`);
  const dir = join(base, 'repo.git');
  const dataDir = join(base, 'data');
  const targetRoot = join(base, 'target');
  if (existsSync(join(base, 'applied'))) return { dir, dataDir, targetRoot };
  rmSync(base, { recursive: true, force: true });
  mkdirSync(targetRoot, { recursive: true });
  log(`generating a workflow of ${stacks} stacks × ${n} resources`);
  const files = new Map<string, string>();
  let config = 'version: 1\nstacks:\n';
  for (let s = 0; s < stacks; s++) {
    config += `  s${s}:\n    path: stacks/s${s}\n    targets: { fs: ${TARGET} }\n${s ? `    dependsOn: [s${s - 1}]\n` : ''}`;
    for (let i = 0; i < n; i++) {
      const content = s > 0 && i === 1 ? `!ref s${s - 1}:File/f0.outputs.sha256` : `|\n    stack ${s} file ${i}\n    line two`;
      files.set(
        `stacks/s${s}/f${i}.yaml`,
        `apiVersion: fs.driftless.dev/v1\nkind: File\nmetadata:\n  name: f${i}\nspec:\n  path: s${s}/f${i}.txt\n  content: ${content}\n`,
      );
    }
  }
  files.set('driftless.yaml', config);
  await runOk('git', ['init', '-q', '--bare', '-b', 'main', dir]);
  await runOk('git', ['fast-import', '--quiet'], { cwd: dir, input: fastImportStream(files, 'workflow') });
  await runOk('git', ['repack', '-adq'], { cwd: dir });
  await freshDataDir(dataDir);
  log('  applying it once (setup, not measured)');
  const ws = await Workspace.open(benchConfig({ repoPath: dir, dataDir, targetRoot }), 'bench workflow apply');
  try {
    const r = await applyWorkflow(ws, { commit: await ws.resolve(undefined, false), trigger: 'bench', parallelism: 8 });
    const bad = r.stacks.filter((x) => x.status !== 'applied');
    if (r.diagnostics.length || bad.length)
      throw new Error(`workflow setup failed: ${JSON.stringify(r.diagnostics.slice(0, 3))} ${JSON.stringify(bad.slice(0, 2))}`);
  } finally {
    await ws.close();
  }
  writeFileSync(join(base, 'applied'), '');
  return { dir, dataDir, targetRoot };
}

/** Commit a one-line change to one manifest of the root stack; returns the new commit. */
async function editRoot(repoDir: string, file: number, stamp: string): Promise<string> {
  const path = `stacks/s0/f${file}.yaml`;
  const current = gitSync(repoDir, 'cat-file', 'blob', `refs/heads/main:${path}`);
  const changed = current.replace('line two', `line two ${stamp}`);
  await runOk('git', ['fast-import', '--quiet'], { cwd: repoDir, input: fastImportStream(new Map([[path, changed]]), `edit ${path}`, 'refs/heads/main^0') });
  return gitSync(repoDir, 'rev-parse', 'refs/heads/main');
}

export const workflow: Scenario = {
  name: 'workflow',
  title: 'Workflow re-plan after a one-file change in the root stack (warm, in-process)',
  async run(ctx): Promise<ScenarioResult> {
    const stacks = 10;
    const n = ctx.quick ? 50 : 1000;
    const { dir, dataDir, targetRoot } = await workflowRepo(stacks, n);
    const copy = await copyRepo(dir, join(WORK_DIR, 'runs', `workflow-${n}.git`));
    const ws = await Workspace.open(benchConfig({ repoPath: copy, dataDir, targetRoot }), 'bench workflow');
    const all: number[] = [];
    const pr: number[] = [];
    let unreferencedPlanned = -1;
    let referencedPlanned = -1;
    try {
      await planAll(ws, await ws.resolve(undefined, false), { refresh: false }); // warm the caches
      for (let i = 0; i < ctx.warmup + ctx.iterations; i++) {
        // A file no other stack refers to: every stack planned (the CLI), then as a pull request plans it.
        const commit = await editRoot(copy, Math.floor(n / 2), `run ${i}`); // f0 is the file s1 refers to
        const a = await timed(() => planAll(ws, commit, { refresh: false }));
        const changed = a.value.stacks.filter((s) => s.planned?.plan.changes.length);
        if (a.value.stacks.length !== stacks || changed.length !== 1)
          throw new Error(`expected ${stacks} stacks planned, 1 changed; got ${changed.map((s) => s.stack)}`);
        const p = await timed(() => planAll(ws, commit, { stacks: ['s0'], refresh: false, withDependents: true }));
        unreferencedPlanned = p.value.stacks.length - 1;
        if (i < ctx.warmup) continue;
        all.push(a.ms);
        pr.push(p.ms);
        log(
          `  re-plan ${i - ctx.warmup + 1}/${ctx.iterations}: all stacks ${fmtMs(a.ms)}; as a pull request ${fmtMs(p.ms)} (${unreferencedPlanned} downstream stacks planned)`,
        );
      }
      // The file stack s1 refers to: s1 is planned again (its value is known after apply), s2…s9 are not.
      const commit = await editRoot(copy, 0, 'referenced');
      const p = await planAll(ws, commit, { stacks: ['s0'], refresh: false, withDependents: true });
      referencedPlanned = p.stacks.length - 1;
      log(`  a change to the file s1 refers to: ${referencedPlanned} downstream stack(s) planned again (${p.stacks.map((s) => s.stack).join(', ')})`);
    } finally {
      await ws.close();
      rmSync(copy, { recursive: true, force: true });
    }
    const ta = median(all);
    const tp = median(pr);
    const label = `9 workflow ${stacks}×${n}`;
    return {
      name: this.name,
      title: `${this.title}, ${stacks} stacks × ${n.toLocaleString('en')} resources`,
      rows: [
        {
          scenario: label,
          metric: 'as a pull request (root + dependents that use changed outputs)',
          unit: 'ms',
          driftless: tp,
          peer: null,
          target: '< 300 ms',
          pass: ctx.quick ? null : tp < 300,
          samples: { driftless: pr, peer: [] },
        },
        {
          scenario: label,
          metric: 'every stack (plan)',
          unit: 'ms',
          driftless: ta,
          peer: null,
          target: 'report',
          pass: null,
          samples: { driftless: all, peer: [] },
        },
      ],
      notes: [
        `One long-lived Workspace; each run commits a one-line change to one manifest of the root stack s0. ` +
          `Downstream stacks planned again after a change to a file no stack refers to: ${unreferencedPlanned} of ${stacks - 1}; ` +
          `after a change to the file s1 refers to: ${referencedPlanned} of ${stacks - 1}. Spread: ${(spread(pr) * 100).toFixed(0)}% / ${(spread(all) * 100).toFixed(0)}%.`,
      ],
      details: { stacks, n, all, pr, unreferencedPlanned, referencedPlanned },
    };
  },
};
