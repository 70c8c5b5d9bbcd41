/** The revert of a rollout's stopped wave: a plan from the stack's last applied commit, for that wave's hosts only, applied. */
import { executePlan, type ApplyResult, type ExecuteOptions } from '../apply/executor.js';
import { withoutChanges, type PlannedStack } from '../plan/planner.js';
import { hostStandings, type Wave } from '../plan/rollout.js';
import type { RunRollout } from '../state/store.js';
import type { Workspace } from './workspace.js';

export interface RevertRequest {
  stack: string;
  /** The commit the stopped run applied, and the stack's applied commit before it. */
  commit: string;
  previous: string | null;
  waves: Wave[];
  result: ApplyResult;
  /** What the revert run shares with the run it reverts (store, sessions, secrets...). */
  exec: Omit<ExecuteOptions, 'planned' | 'waves' | 'trigger'>;
  trigger: string;
}

/**
 * After a run stopped by its rollout: put the stopped wave's hosts back to the last applied commit
 * (a fresh plan of that commit, refreshed, with every change of other hosts left out), record
 * which host is at which commit on the run, and return that.
 */
export async function revertStoppedWave(ws: Workspace, req: RevertRequest): Promise<RunRollout> {
  const report = req.result.waves!;
  const base = { waves: report.waves, ...(report.stoppedAt !== undefined ? { stoppedAt: report.stoppedAt } : {}) };
  if (report.stoppedAt === undefined) {
    return { ...base, hosts: hostStandings(report, req.waves, req.commit, req.previous, undefined) };
  }
  const hosts = new Set(report.waves[report.stoppedAt].hosts);
  if (!req.previous) {
    return {
      ...base,
      revert: { skipped: 'the stack has no earlier applied commit to go back to' },
      hosts: hostStandings(report, req.waves, req.commit, req.previous, undefined),
    };
  }
  const revert = await planRevert(ws, req.stack, req.previous, hosts);
  if ('error' in revert) {
    return { ...base, revert: { skipped: revert.error }, hosts: hostStandings(report, req.waves, req.commit, req.previous, undefined) };
  }
  const run = await executePlan({
    ...req.exec,
    planned: revert.planned,
    trigger: `revert of wave ${report.stoppedAt + 1} of run ${req.result.runId} (${[...hosts].join(', ')}) to ${req.previous.slice(0, 12)}`,
  });
  const notOk = new Set(run.results.filter((r) => r.outcome !== 'ok').map((r) => ws.hostOfStep(revert.planned, r.id)));
  const reverted = new Set([...hosts].filter((h) => !notOk.has(h)));
  return {
    ...base,
    revert: { runId: run.runId, commit: req.previous, outcome: run.outcome },
    hosts: hostStandings(report, req.waves, req.commit, req.previous, reverted),
  };
}

/** The plan that puts `hosts` back to `commit`: the stack at that commit, planned afresh, other hosts left out. */
async function planRevert(ws: Workspace, stack: string, commit: string, hosts: ReadonlySet<string>): Promise<{ error: string } | { planned: PlannedStack }> {
  const at = await ws.repoAt(commit);
  if (!at.repoConfig?.stacks[stack]) return { error: `stack ${stack} is not in driftless.yaml at ${commit.slice(0, 12)}` };
  const inputs = await ws.stackInputs(commit, at.repoConfig, at.registry, stack);
  if (!inputs.desired || inputs.diagnostics.length) return { error: `the manifests at ${commit.slice(0, 12)} no longer load` };
  const planned = (await ws.planStack(inputs, { refresh: true })).planned;
  if (!planned) return { error: `the stack at ${commit.slice(0, 12)} could not be planned` };
  if (planned.plan.errors.length) return { error: `the plan of ${commit.slice(0, 12)} has errors: ${planned.plan.errors.join('; ')}` };
  const mine = (id: string) => hosts.has(ws.hostOfStep(planned, id) ?? '');
  const others = new Set(planned.plan.changes.map((c) => c.id).filter((id) => !mine(id)));
  const only = withoutChanges(planned, others);
  // Records of other hosts' resources stay as the stopped run left them.
  const resources = new Map([...only.desired.resources].filter(([id]) => mine(id)));
  return { planned: { ...only, desired: { ...only.desired, resources } } };
}
