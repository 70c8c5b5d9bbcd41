import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { benchConfig } from '../bench/engine.ts';
import { copyRepo, commitOneFileChange } from '../bench/generate.ts';
import { Workspace } from '../engine/workspace.ts';
import { makePlan } from '../plan/planner.ts';

const base = '/work/main/bench/work/applied/n10000';
const data = '/tmp/prof-data';
rmSync(data, { recursive: true, force: true });
cpSync(join(base, 'data'), data, { recursive: true, filter: (p) => !p.endsWith('driftless.lock') });
const repo = await copyRepo('/work/main/bench/work/repos/manifests-10000-s1-v3.git', '/tmp/prof-repo.git');
const ws = await Workspace.open(benchConfig({ repoPath: repo, dataDir: data, targetRoot: join(base, 'target') }), 'prof');
const t = () => performance.now();
async function once(label: string) {
  const t0 = t();
  const commit = await ws.resolve(undefined, false);
  const t1 = t();
  const at = await ws.repoAt(commit);
  const t2 = t();
  const ta = t();
  const loaded = await ws.loader.loadStack(commit, 'app', at.repoConfig!.stacks.app, at.registry);
  const tb = t();
  const { buildDesiredSet } = await import('../plan/desired.js');
  const set = buildDesiredSet(loaded.resources, at.registry);
  const tc = t();
  const td = t(); await ws.stackInputs(commit, at.repoConfig!, at.registry, 'app'); console.log({ loadStack: tb - ta, desiredSet: tc - tb, stackInputsAgain: t() - td });
  const inputs = await ws.stackInputs(commit, at.repoConfig!, at.registry, 'app');
  const t3 = t();
  const t4 = t();
  const planned = (await ws.planStack(inputs, { refresh: false })).planned!;
  const t5 = t();
  console.log(label, { resolve: t1 - t0, repoAt: t2 - t1, stackInputs: t3 - t2, planStack: t5 - t4, total: t5 - t0, diags: inputs.diagnostics.length, summary: planned.plan.summary });
}
await once('cold');
for (let i = 0; i < 3; i++) {
  await commitOneFileChange(repo, 'stacks/app/media/svc024/staging/config-3.yaml', `r${i}`).catch(() => {});
  await once('warm' + i);
}
await ws.close();
