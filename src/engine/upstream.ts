import type { RepoConfig } from '../manifests/repo-config.js';
import { ancestors, declaredStackGraph } from '../manifests/stack-deps.js';
import type { PlanRequest } from '../plan/planner.js';
import { changedOutputs, type ChangedOutputs, upstreamValue, type UpstreamView } from '../plan/workflow.js';
import type { Plan, RecordedResource } from '../plan/model.js';
import { includesCommit, stackChangedSince } from './changes.js';
import type { Workspace } from './workspace.js';

/**
 * Where a stack's upstream stacks stand for an apply at a commit (the service applies one stack
 * per job): ready (each is at the commit or newer, or has nothing to apply there), with the view
 * of their outputs its plan is made with; or waiting on the first that is not.
 */
export type Upstream =
  | { ready: true; external: PlanRequest['external'] }
  | { ready: false; waitingOn: string; reason: 'pending' | 'failed' | 'held'; runId?: number; message: string };

const FAILED = new Set(['failed', 'partial', 'refused', 'invalid', 'interrupted']);

export async function upstreamOf(ws: Workspace, config: RepoConfig, stack: string, commit: string, held: ReadonlySet<string> = new Set()): Promise<Upstream> {
  const graph = declaredStackGraph(config);
  const order = graph.topologicalOrder() ?? [];
  const mine = new Set(ancestors(graph, stack));
  const store = await ws.store();
  const views = new Map<string, UpstreamView>();
  for (const u of order.filter((s) => mine.has(s))) {
    const { appliedCommit } = await store.stackState(ws.key(u));
    const atOrNewer = !!appliedCommit && (appliedCommit === commit || (await includesCommit(ws, appliedCommit, commit)));
    if (!atOrNewer && (await stackChangedSince(ws, config, u, appliedCommit, commit))) {
      const last = (await store.runs({ repo: ws.repoName, stack: u, commit, kind: 'apply', limit: 1 }))[0];
      if (last && FAILED.has(last.outcome)) {
        return { ready: false, waitingOn: u, reason: 'failed', runId: last.id, message: `waiting on \`${u}\` (${last.outcome} at run ${last.id})` };
      }
      if (held.has(u)) return { ready: false, waitingOn: u, reason: 'held', message: `waiting on \`${u}\` (held for \`/driftless apply\`)` };
      return { ready: false, waitingOn: u, reason: 'pending', message: `waiting on \`${u}\` (not applied at ${commit.slice(0, 12)} yet)` };
    }
    // What the workflow plan saw: the resources its last apply changed were unknown to the plans after it.
    const run = appliedCommit
      ? (await store.runs({ repo: ws.repoName, stack: u, commit: appliedCommit, kind: 'apply', limit: 5 })).find((r) => r.outcome === 'succeeded')
      : undefined;
    const recorded = await ws.recordedOf(u);
    const changed = atOrNewer && run?.results ? await appliedChanges(ws, commit, run.id, run.results, recorded) : new Map();
    views.set(u, { changed, recorded });
  }
  return { ready: true, external: (ref) => upstreamValue(ref, views.get(ref.stack!)) };
}

/**
 * What an apply run changed, as the plans of that commit saw it: its results, with the outputs each
 * keeps (from the changes of the plan the run carried out and the kinds' outputSources).
 */
async function appliedChanges(
  ws: Workspace,
  commit: string,
  runId: number,
  results: readonly { id: string }[],
  recorded: ReadonlyMap<string, RecordedResource>,
): Promise<ChangedOutputs> {
  const plan = (await (await ws.store()).runPlan(runId)) as Plan | null;
  const { registry } = await ws.repoAt(commit);
  const byId = new Map((plan?.changes ?? []).map((c) => [c.id, c]));
  // A result whose change the run's plan does not hold: every output of it may have changed.
  const changes = results.map((r) => byId.get(r.id) ?? { id: r.id, action: 'replace' as const, diff: [] });
  return changedOutputs(changes, (id) => {
    const r = recorded.get(id);
    return r ? registry.lookup(r.apiVersion, r.kind)?.info : undefined;
  });
}

/**
 * Record that a stack was not applied at a commit because an upstream stack did not get there: a
 * run with outcome `refused` whose error says what it waits on, so history, the API and the
 * workflow's result comment show it. Returns the run id.
 */
export async function recordWaiting(
  ws: Workspace,
  stack: string,
  o: { commit: string; trigger: string; pr: number | null; actor: string | null; message: string },
): Promise<number> {
  const store = await ws.store();
  const id = await store.startRun(ws.key(stack), { kind: 'apply', trigger: o.trigger, commit: o.commit, pr: o.pr, actor: o.actor });
  await store.finishRun(id, 'refused', null, [], o.message);
  return id;
}

/** One stack's part in the apply of a commit, as its latest apply run there says (none: not run). */
export interface WorkflowStep {
  stack: string;
  outcome: string | null;
  runId?: number;
  ms?: number;
  message?: string;
}

/**
 * How far the apply of a commit got across the workflow: the stacks in order with their latest
 * apply run at that commit (absent: not run), and the first one that stopped the rest.
 */
export async function workflowProgress(ws: Workspace, config: RepoConfig, commit: string): Promise<{ steps: WorkflowStep[]; stoppedBy?: string }> {
  const order = declaredStackGraph(config).topologicalOrder() ?? Object.keys(config.stacks).sort();
  const store = await ws.store();
  const steps: WorkflowStep[] = [];
  for (const stack of order) {
    const run = (await store.runs({ repo: ws.repoName, stack, commit, kind: 'apply', limit: 1 }))[0];
    if (!run) {
      steps.push({ stack, outcome: null });
      continue;
    }
    const ms = run.finishedAt ? Date.parse(run.finishedAt) - Date.parse(run.startedAt) : undefined;
    steps.push({ stack, outcome: run.outcome, runId: run.id, ms, message: run.error ?? undefined });
  }
  const stopped = steps.find((s) => s.outcome && FAILED.has(s.outcome) && !s.message?.startsWith('waiting on'));
  return { steps, ...(stopped ? { stoppedBy: stopped.stack } : {}) };
}
