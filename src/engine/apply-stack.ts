import type { Diagnostic } from '../manifests/diagnostics.js';
import type { Plan } from '../plan/model.js';
import { executePlan, type ApplyResult, type ProgressEvent } from '../apply/executor.js';
import { recoverProviders, recoverStack } from '../apply/recover.js';
import type { Workspace } from './workspace.js';
import { withoutChanges, type PlannedStack, type PlanRequest } from '../plan/planner.js';
import { planWaves } from '../plan/rollout.js';
import { revertStoppedWave } from './rollout.js';
import { providerFor } from '../sdk/provider.js';

/** The verb `apply`: one stack at one commit, under its lock, through a gate that may hold or refuse. */

/**
 * What a gate decides about the fresh plan, before anything changes. `resumes`: the plan is what is
 * left of the apply these runs started (cut short by a crash or a shutdown); the new run says so.
 */
export type GateDecision = { proceed: true; resumes?: number[] } | { proceed: false; hold: string } | { proceed: false; refuse: string };

/**
 * Asked with the plan made under the stack's lock (after crash recovery): the reviewed-plan guard,
 * a manual-apply hold or a prompt is an argument of the apply, not a second plan.
 */
export type ApplyGate = (plan: Plan, planned?: PlannedStack) => GateDecision | Promise<GateDecision>;

export interface ApplyRequest {
  commit: string;
  stack: string;
  refresh?: boolean;
  allowDeleteAll?: boolean;
  /** Refuse unless the fresh plan has this digest (the reviewed plan). */
  expectDigest?: string;
  /** Refuse unless the state is still at this serial (a saved plan). */
  expectSerial?: number;
  /** Leave these resources' changes out of the plan (remediation leaves acknowledged drift alone). */
  skip?: ReadonlySet<string>;
  /** Decides first, with the fresh plan: proceed, hold (nothing applied, the plan returned) or refuse. */
  gate?: ApplyGate;
  /** Asked with the plan before anything changes; false cancels. */
  confirm?(plan: Plan): Promise<boolean>;
  trigger: string;
  kind?: 'apply' | 'remediate';
  actor?: string | null;
  pr?: number | null;
  parallelism?: number;
  onProgress?(e: ProgressEvent): void;
  signal?: AbortSignal;
  /**
   * What the plan sees of other stacks' outputs (`!ref stack:Kind/name…`): the workflow's view, so
   * that the plan made under the lock is the one planned (and reviewed) with the workflow.
   * Absent: every such value is unknown until apply.
   */
  external?: PlanRequest['external'];
  /** The workflow's plan of this stack, whose live objects the apply may use (see Workspace.planStack). */
  shown?: Pick<PlannedStack, 'plan' | 'live'>;
}

export interface ApplyOutcome {
  diagnostics: Diagnostic[];
  plan?: Plan;
  /** Why nothing was applied (digest or serial mismatch, plan errors, cancelled, refused by the gate). */
  refused?: string;
  /** The gate held the apply: why. Nothing was applied. */
  held?: string;
  recovered: string[];
  result?: ApplyResult;
  /** The interrupted runs this apply resumed (as the gate decided). */
  resumes?: number[];
}

/** The refusal text of a digest mismatch (shown in holds of the service too). */
export function digestMismatch(commit: string, plan: Plan, expected: string): string {
  return `the plan at ${commit.slice(0, 12)} (${plan.digest.slice(7, 19)}) differs from the reviewed plan (${expected.slice(7, 19)})`;
}

/**
 * Take the stack lock, recover what a crash left, plan afresh, ask the gate, check the plan against
 * what was reviewed, confirm, execute, release.
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
    // As the plan reads it (kept while the serial holds: a workflow's plan of this stack read it).
    const recorded = await ws.recordedOf(req.stack);
    const versions = new Set([...inputs.desired.resources.values()].map((r) => r.apiVersion));
    for (const r of recorded.values()) versions.add(r.apiVersion);
    const interrupted = await store.unfinishedJournal(key);
    for (const e of interrupted) versions.add(e.resource.apiVersion);
    const sessionFor = await ws.sessions.sessionsFor(at.repoConfig, req.stack, versions);
    const desired = inputs.desired;
    const recovered = await recoverStack(store, key, sessionFor, { secret: ws.secret, sensitiveOutputs: (id) => desired.resources.get(id)?.sensitiveOutputs });
    if (interrupted.length) {
      // Provider calls were cut short: let each provider remove what they left (fs: temporary files).
      const around = [...interrupted.map((e) => e.resource), ...recorded.values(), ...inputs.desired.resources.values()];
      recovered.push(...(await recoverProviders(around, sessionFor)));
    }
    const fresh = (await ws.planStack(inputs, { refresh: req.refresh, allowDeleteAll: req.allowDeleteAll, external: req.external, shown: req.shown })).planned!;
    const planned = req.skip?.size ? withoutChanges(fresh, req.skip) : fresh;
    const plan = planned.plan;
    let resumes: number[] | undefined;
    if (req.gate) {
      const d = await req.gate(plan, planned);
      if (!d.proceed) return 'hold' in d ? { diagnostics: [], plan, recovered, held: d.hold } : { diagnostics: [], plan, recovered, refused: d.refuse };
      resumes = d.resumes?.length ? d.resumes : undefined;
    }
    if (req.expectDigest && plan.digest !== req.expectDigest) {
      return { diagnostics: [], plan, recovered, refused: digestMismatch(req.commit, plan, req.expectDigest) };
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
    // Other stacks' state as it is now (their applies ran first in the workflow), read once per stack.
    const upstream = new Map<string, ReturnType<typeof store.resources>>();
    const upstreamState = (stack: string) => {
      let p = upstream.get(stack);
      if (!p) upstream.set(stack, (p = store.resources(ws.key(stack))));
      return p;
    };
    const repoConfig = at.repoConfig;
    const exec = {
      store,
      key,
      sessionFor,
      secret: ws.secret,
      parallelism: req.parallelism ?? ws.config.parallelism,
      parallelismOf: (apiVersion: string) => providerFor(ws.providers, apiVersion)?.parallelism,
      kind: req.kind,
      actor: req.actor,
      pr: req.pr,
      onProgress: req.onProgress,
      signal: req.signal,
      upstream: {
        resource: async (stack: string, id: string) => (await upstreamState(stack)).get(id),
        // Read-only: a downstream apply only reads an upstream object back (a sensitive output).
        session: (stack: string, apiVersion: string) => ws.sessions.sessionFor(repoConfig, stack, apiVersion, { readOnly: true }),
      },
    };
    const rollout = at.repoConfig.stacks[req.stack].rollout;
    const waves =
      rollout && planned.steps.size
        ? planWaves(
            [...planned.steps.keys()].map((id) => ({ id, host: ws.hostOfStep(planned, id) })),
            rollout,
          )
        : undefined;
    const previous = waves ? (await store.stackState(key)).appliedCommit : null;
    const trigger = resumes ? `${req.trigger} (resumes run ${resumes.join(', ')})` : req.trigger;
    // The executor keeps the plan with the run from its start (the run page shows what it will do).
    const result = await executePlan({ ...exec, planned, trigger, ...(waves ? { waves } : {}) });
    if (waves) {
      // Which host is at which commit; a wave over its budget is put back to the last applied commit.
      result.rollout = await revertStoppedWave(ws, { stack: req.stack, commit: req.commit, previous, waves, result, exec, trigger });
      await store.setRunRollout(result.runId, result.rollout);
    }
    return { diagnostics: [], plan, recovered, result, ...(resumes ? { resumes } : {}) };
  } finally {
    await lock.release();
  }
}
