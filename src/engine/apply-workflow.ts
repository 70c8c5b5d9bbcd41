import { Graph } from '../dag/graph.js';
import { walk } from '../dag/walk.js';
import type { Diagnostic } from '../manifests/diagnostics.js';
import { ancestors, declaredStackGraph } from '../manifests/stack-deps.js';
import type { Plan } from '../plan/model.js';
import type { PlannedStack } from '../plan/planner.js';
import { changedOutputs, upstreamValue, type ChangedOutputs, type WorkflowSummary } from '../plan/workflow.js';
import { applyStack, type ApplyOutcome, type ApplyRequest } from './apply-stack.js';
import { includesCommit } from './changes.js';
import { planAll } from './plan-stacks.js';
import type { Workspace } from './workspace.js';

/**
 * The verb `apply` across stacks: the stacks of one commit planned as one workflow, checked against
 * the reviewed workflow digest, then applied in dependency order, each under its own lock,
 * independent stacks in parallel; a stack that does not succeed skips the stacks after it.
 */

export interface WorkflowApplyRequest extends Omit<ApplyRequest, 'stack' | 'expectDigest' | 'expectSerial' | 'external' | 'gate' | 'confirm'> {
  /** The stacks to apply (default: every stack), in any order. */
  stacks?: string[];
  /** Refuse everything unless the workflow planned now has this digest (the reviewed workflow). */
  expectWorkflowDigest?: string;
  /** Stacks applied at once (default 2). */
  stackParallelism?: number;
  /** Asked with the workflow's plans before anything changes; false cancels. */
  confirm?(plans: Plan[]): Promise<boolean>;
  /** Told as each stack starts and ends. */
  onStack?(e: { stack: string; phase: 'start' | 'end'; outcome?: StackOutcome }): void;
  /** Asked for each stack with changes (a manual-apply hold, a policy): as ApplyRequest.gate. */
  gate?: (stack: string) => ApplyRequest['gate'];
}

export type StackStatus = 'applied' | 'no-changes' | 'failed' | 'refused' | 'held' | 'skipped';

export interface StackOutcome {
  stack: string;
  status: StackStatus;
  /** The apply run, when one ran. */
  runId?: number;
  ms: number;
  /** Why it failed, was refused or held; for a skipped stack: "waiting on `db` (failed at run 12)". */
  message?: string;
  /** The upstream stack that stopped this one (skipped), and its run. */
  waitingOn?: { stack: string; runId?: number };
  apply?: ApplyOutcome;
}

export interface WorkflowApplyResult {
  diagnostics: Diagnostic[];
  workflow?: WorkflowSummary;
  /** Why nothing ran (workflow digest mismatch, cancelled). */
  refused?: string;
  /** In workflow order. */
  stacks: StackOutcome[];
  /** The first stack (in workflow order) that did not succeed, and so stopped its dependents. */
  stoppedBy?: string;
}

const OK: ReadonlySet<StackStatus> = new Set(['applied', 'no-changes']);

export async function applyWorkflow(ws: Workspace, req: WorkflowApplyRequest): Promise<WorkflowApplyResult> {
  const planned = await planAll(ws, req.commit, { stacks: req.stacks, refresh: req.refresh });
  const diagnostics = [...planned.diagnostics, ...planned.stacks.flatMap((s) => s.diagnostics)];
  if (diagnostics.length || !planned.workflow) return { diagnostics, stacks: [] };
  const workflow = planned.workflow;
  if (req.expectWorkflowDigest && workflow.digest !== req.expectWorkflowDigest) {
    return {
      diagnostics: [],
      workflow,
      stacks: [],
      refused: `the workflow at ${req.commit.slice(0, 12)} (${workflow.digest.slice(7, 19)}) differs from the reviewed workflow (${req.expectWorkflowDigest.slice(7, 19)})`,
    };
  }
  const shown = new Map(planned.stacks.map((s) => [s.stack, s.planned!]));
  const plans = new Map([...shown].map(([s, p]) => [s, p.plan]));
  if (req.confirm && [...plans.values()].some((p) => p.changes.length) && !(await req.confirm([...plans.values()]))) {
    return { diagnostics: [], workflow, stacks: [], refused: 'cancelled' };
  }

  const at = await ws.repoAt(req.commit);
  const declared = declaredStackGraph(at.repoConfig!);
  const graph = new Graph();
  for (const s of workflow.stacks) graph.add(s);
  for (const s of workflow.stacks) for (const a of ancestors(declared, s)) if (plans.has(a)) graph.connect(s, a);
  const changed = new Map([...plans].map(([s, p]) => [s, changedOutputs(p.changes, (id) => shown.get(s)!.desired.resources.get(id)?.info)]));

  const outcomes = new Map<string, StackOutcome>();
  const step = async (stack: string): Promise<void> => {
    req.onStack?.({ stack, phase: 'start' });
    const t0 = Date.now();
    // The objects the workflow's plan read are used again, unless a stack applied before this one
    // changes something (its apply may touch them): then they are read again under the lock.
    const p = shown.get(stack)!;
    const reread = ancestors(graph, stack).some((u) => plans.get(u)?.changes.length);
    const o = await applyOne(ws, req, stack, reread ? { plan: p.plan } : p, graph, changed);
    o.ms = Date.now() - t0;
    outcomes.set(stack, o);
    req.onStack?.({ stack, phase: 'end', outcome: o });
    if (!OK.has(o.status)) throw new Error(o.message ?? o.status);
  };
  const walked = await walk(graph, { parallelism: req.stackParallelism ?? 2, signal: req.signal, step });
  const stacks = workflow.stacks.map((s): StackOutcome => {
    const done = outcomes.get(s);
    if (done) return done;
    const w = walked.get(s)!;
    const by = w.status === 'skipped' ? w.blockedBy : undefined;
    const blocker = by ? outcomes.get(by) : undefined;
    const message = by
      ? `waiting on \`${by}\`${blocker?.runId ? ` (${blocker.status} at run ${blocker.runId})` : ` (${blocker?.status ?? 'skipped'})`}`
      : 'shutting down';
    return { stack: s, status: 'skipped', ms: 0, message, ...(by ? { waitingOn: { stack: by, runId: blocker?.runId } } : {}) };
  });
  const stoppedBy = stacks.find((s) => s.status !== 'skipped' && !OK.has(s.status))?.stack;
  return { diagnostics: [], workflow, stacks, ...(stoppedBy ? { stoppedBy } : {}) };
}

/** Apply one stack of the workflow, its upstream stacks having succeeded. */
async function applyOne(
  ws: Workspace,
  req: WorkflowApplyRequest,
  stack: string,
  /** The workflow's plan of the stack; without `live`, the apply reads the objects again. */
  planned: Pick<PlannedStack, 'plan' | 'live'>,
  graph: Graph,
  changed: ReadonlyMap<string, ChangedOutputs>,
): Promise<StackOutcome> {
  // Never against an upstream stack older than this plan: each upstream stack the workflow changes
  // must now be at this commit or a newer one.
  const store = await ws.store();
  const upstream = ancestors(graph, stack);
  for (const u of upstream) {
    if (!changed.get(u)?.size) continue;
    const applied = (await store.stackState(ws.key(u))).appliedCommit;
    if (!applied || !(applied === req.commit || (await includesCommit(ws, applied, req.commit)))) {
      return {
        stack,
        status: 'refused',
        ms: 0,
        message: `stack ${u} is not at ${req.commit.slice(0, 12)} or newer (it is at ${applied?.slice(0, 12) ?? 'nothing'})`,
      };
    }
  }
  const views = new Map<string, { changed: ChangedOutputs; recorded: Awaited<ReturnType<Workspace['recordedOf']>> }>();
  for (const u of upstream) views.set(u, { changed: changed.get(u) ?? new Map(), recorded: await ws.recordedOf(u) });
  const r = await applyStack(ws, {
    ...req,
    stack,
    // Reviewed: each stack's plan under its lock must be the one the reviewed workflow holds.
    expectDigest: req.expectWorkflowDigest ? planned.plan.digest : undefined,
    shown: planned,
    gate: req.gate?.(stack),
    confirm: undefined,
    external: (ref) => upstreamValue(ref, views.get(ref.stack!)),
  });
  const runId = r.result?.runId;
  if (r.diagnostics.length) return { stack, status: 'failed', ms: 0, message: r.diagnostics.map((d) => d.message).join('; '), apply: r };
  if (r.held) return { stack, status: 'held', ms: 0, message: r.held, apply: r };
  if (r.refused) return { stack, status: 'refused', ms: 0, message: r.refused, apply: r };
  const outcome = r.result!.outcome;
  if (outcome === 'succeeded') return { stack, status: 'applied', runId, ms: 0, apply: r };
  if (outcome === 'no-changes') return { stack, status: 'no-changes', runId, ms: 0, apply: r };
  const failed = r.result!.results.filter((x) => x.outcome === 'failed');
  return { stack, status: 'failed', runId, ms: 0, message: `apply ${outcome}: ${failed.map((f) => `${f.id}: ${f.error}`).join('; ')}`, apply: r };
}
