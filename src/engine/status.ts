import type { RunRecord } from '../state/store.js';
import type { Workspace } from './workspace.js';

/** Read-only questions about recorded state: a stack's serial and applied commit, the runs. */

export async function stackStatus(ws: Workspace, stack: string): Promise<{ serial: number; appliedCommit: string | null }> {
  return (await ws.store()).stackState(ws.key(stack));
}

export async function listRuns(ws: Workspace, filter: { stack?: string; limit?: number; id?: number; pr?: number } = {}): Promise<RunRecord[]> {
  return (await ws.store()).runs({ repo: ws.repoName, ...filter });
}

/**
 * The apply runs of a stack at a commit (for a pull request, or none) that a crash or a shutdown cut
 * short (crash recovery has marked them interrupted), oldest first, and every resource their
 * journals show they worked on.
 */
export async function interruptedApplies(
  ws: Workspace,
  stack: string,
  commit: string,
  pr: number | null,
): Promise<{ runs: RunRecord[]; touched: Set<string> }> {
  const store = await ws.store();
  const all = await store.runs({ repo: ws.repoName, stack, commit, kind: 'apply', outcome: 'interrupted', limit: 1000 });
  const runs = all.filter((r) => r.pr === pr).reverse();
  const touched = new Set<string>();
  for (const r of runs) for (const e of await store.journal(r.id)) touched.add(e.resourceId);
  return { runs, touched };
}

/** The plan a run carried out (masked JSON), or null. */
export async function runPlan(ws: Workspace, runId: number): Promise<unknown> {
  return (await ws.store()).runPlan(runId);
}

/**
 * Record a commit that was not applied because it is invalid (manifests or configuration): a run
 * with outcome `invalid` and the errors, so history and the API show it. Returns the run id.
 */
export async function recordInvalid(
  ws: Workspace,
  stack: string,
  o: { commit: string; trigger: string; pr?: number | null; actor?: string | null; errors: string },
): Promise<number> {
  const store = await ws.store();
  const id = await store.startRun(ws.key(stack), { kind: 'apply', trigger: o.trigger, commit: o.commit, pr: o.pr ?? null, actor: o.actor ?? null });
  await store.finishRun(id, 'invalid', null, [], o.errors);
  return id;
}
