import type { Diagnostic } from '../manifests/diagnostics.js';
import type { Plan } from '../plan/model.js';
import { executePlan, type ApplyResult, type ProgressEvent } from '../apply/executor.js';
import { recoverStack } from '../apply/recover.js';
import type { Workspace, StackPlanResult } from './workspace.js';

export interface PlanAllResult {
  commit: string;
  /** Problems with driftless.yaml or repository schemas (no stack can be planned). */
  diagnostics: Diagnostic[];
  stacks: StackPlanResult[];
}

/** Validate and plan every selected stack at a commit. */
export async function planAll(
  ws: Workspace,
  commit: string,
  opts: { stack?: string; stacks?: string[]; refresh?: boolean; validateOnly?: boolean } = {},
): Promise<PlanAllResult> {
  const at = await ws.repoAt(commit);
  if (!at.repoConfig || at.diagnostics.length) return { commit, diagnostics: at.diagnostics, stacks: [] };
  const names = opts.stacks ?? ws.selectStacks(at.repoConfig, opts.stack);
  const stacks: StackPlanResult[] = [];
  for (const name of names) {
    if (!at.repoConfig.stacks[name]) continue;
    const inputs = await ws.stackInputs(commit, at.repoConfig, at.registry, name);
    if (opts.validateOnly) stacks.push({ stack: name, diagnostics: inputs.diagnostics });
    else stacks.push(await ws.planStack(inputs, { refresh: opts.refresh }));
  }
  return { commit, diagnostics: [], stacks };
}

export interface ApplyRequest {
  commit: string;
  stack: string;
  refresh?: boolean;
  allowDeleteAll?: boolean;
  /** Refuse unless the fresh plan has this digest (the reviewed plan). */
  expectDigest?: string;
  /** Refuse unless the state is still at this serial (a saved plan). */
  expectSerial?: number;
  /** Asked with the plan before anything changes; false cancels. */
  confirm?(plan: Plan): Promise<boolean>;
  trigger: string;
  kind?: 'apply' | 'remediate';
  actor?: string | null;
  pr?: number | null;
  parallelism?: number;
  onProgress?(e: ProgressEvent): void;
  signal?: AbortSignal;
}

export interface ApplyOutcome {
  diagnostics: Diagnostic[];
  plan?: Plan;
  /** Why nothing was applied (digest or serial mismatch, plan errors, cancelled). */
  refused?: string;
  recovered: string[];
  result?: ApplyResult;
}

/**
 * Apply one stack at a commit: take the stack lock, recover what a crash left, plan afresh,
 * check the plan against what was reviewed, confirm, execute, release.
 */
export async function applyStack(ws: Workspace, req: ApplyRequest): Promise<ApplyOutcome> {
  const at = await ws.repoAt(req.commit);
  if (!at.repoConfig || at.diagnostics.length) return { diagnostics: at.diagnostics, recovered: [] };
  ws.selectStacks(at.repoConfig, req.stack);
  const inputs = await ws.stackInputs(req.commit, at.repoConfig, at.registry, req.stack);
  if (inputs.diagnostics.length || !inputs.desired) return { diagnostics: inputs.diagnostics, recovered: [] };
  const store = await ws.store();
  const key = ws.key(req.stack);
  const lock = await store.lockStack(key);
  try {
    const recorded = await store.resources(key);
    const versions = new Set([...inputs.desired.resources.values()].map((r) => r.apiVersion));
    for (const r of recorded.values()) versions.add(r.apiVersion);
    for (const e of await store.unfinishedJournal(key)) versions.add(e.resource.apiVersion);
    const sessionFor = await ws.sessionsFor(at.repoConfig, req.stack, versions);
    const recovered = await recoverStack(store, key, sessionFor);
    const { planned } = await ws.planStack(inputs, { refresh: req.refresh, allowDeleteAll: req.allowDeleteAll });
    const plan = planned!.plan;
    if (req.expectDigest && plan.digest !== req.expectDigest) {
      return {
        diagnostics: [],
        plan,
        recovered,
        refused: `the plan at ${req.commit.slice(0, 12)} (${plan.digest.slice(7, 19)}) differs from the reviewed plan (${req.expectDigest.slice(7, 19)})`,
      };
    }
    if (req.expectSerial !== undefined && plan.stateSerial !== req.expectSerial) {
      return {
        diagnostics: [],
        plan,
        recovered,
        refused: `the saved plan was made from state serial ${req.expectSerial}; the state is now at ${plan.stateSerial}. Plan again.`,
      };
    }
    if (plan.errors.length) return { diagnostics: [], plan, recovered, refused: `the plan cannot be applied:\n- ${plan.errors.join('\n- ')}` };
    if (req.confirm && plan.changes.length && !(await req.confirm(plan))) return { diagnostics: [], plan, recovered, refused: 'cancelled' };
    const result = await executePlan({
      store,
      key,
      planned: planned!,
      sessionFor,
      secret: ws.secret,
      parallelism: req.parallelism ?? ws.config.parallelism,
      trigger: req.trigger,
      kind: req.kind,
      actor: req.actor,
      pr: req.pr,
      onProgress: req.onProgress,
      signal: req.signal,
    });
    return { diagnostics: [], plan, recovered, result };
  } finally {
    await lock.release();
  }
}

export interface DriftOutcome {
  stack: string;
  diagnostics: Diagnostic[];
  plan?: Plan;
  remediation?: ApplyOutcome;
}

/**
 * Refresh a stack's live state and compare it with what was applied: the plan at the last applied
 * commit (its drift list; its changes are what remediation would do).
 */
export async function driftStack(ws: Workspace, stack: string, opts: { remediate?: boolean; trigger?: string } = {}): Promise<DriftOutcome> {
  const store = await ws.store();
  const state = await store.stackState(ws.key(stack));
  if (!state.appliedCommit) return { stack, diagnostics: [] };
  const at = await ws.repoAt(state.appliedCommit);
  if (!at.repoConfig?.stacks[stack]) return { stack, diagnostics: at.diagnostics };
  const inputs = await ws.stackInputs(state.appliedCommit, at.repoConfig, at.registry, stack);
  const r = await ws.planStack(inputs, { refresh: true });
  if (!r.planned) return { stack, diagnostics: r.diagnostics };
  const plan = r.planned.plan;
  if (plan.drift.length === 0) return { stack, diagnostics: [], plan };
  if (!opts.remediate) {
    const id = await store.startRun(ws.key(stack), { kind: 'drift', trigger: opts.trigger ?? 'drift check', commit: state.appliedCommit });
    await store.finishRun(
      id,
      'drifted',
      plan.summary,
      plan.drift.map((d) => ({ id: d.id, action: d.gone ? 'deleted outside' : 'changed outside', outcome: 'ok' })),
    );
    return { stack, diagnostics: [], plan };
  }
  const remediation = await applyStack(ws, {
    commit: state.appliedCommit,
    stack,
    trigger: opts.trigger ?? 'drift remediation',
    kind: 'remediate',
    expectDigest: plan.digest,
  });
  return { stack, diagnostics: [], plan, remediation };
}
