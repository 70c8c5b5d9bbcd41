import type { Diagnostic } from '../manifests/diagnostics.js';
import type { Plan } from '../plan/model.js';
import { withoutChanges, type PlannedStack } from '../plan/planner.js';
import { applyAcks, type AcknowledgedDrift, type LapsedAck } from '../plan/acks.js';
import { acksAt } from './acks.js';
import { applyStack, type ApplyOutcome } from './apply-stack.js';
import type { Workspace } from './workspace.js';

/** The verb `drift`: compare a stack's live state with what was applied, and optionally repair it. */

export interface DriftOutcome {
  stack: string;
  diagnostics: Diagnostic[];
  plan?: Plan;
  /** Recorded resources whose live state was read (with a plan), and those that could not be (no target for them now). */
  checked?: { read: number; unread: number };
  remediation?: ApplyOutcome;
  /** The run that recorded the drift (a check without remediation that found drift). */
  runId?: number;
  /** Drift a valid acknowledgement covers (`.driftless/acks.yaml`): not in `plan.drift`, not remediated. */
  acknowledged?: AcknowledgedDrift[];
  /** Acknowledgements that expired while the drift they covered is still there (it is in `plan.drift` again). */
  lapsed?: LapsedAck[];
  /** Resources with drift outside any ack that remediation left alone: they also have acknowledged drift it would revert. */
  notRemediated?: string[];
  /** Problems of the acks file (the valid acks in it still count). */
  ackDiagnostics?: Diagnostic[];
}

export interface DriftOptions {
  remediate?: boolean;
  trigger?: string;
  /** The commit whose `.driftless/acks.yaml` counts (default: the applied commit); the service and CLI pass the branch head. */
  acksCommit?: string;
  /** The clock acks are judged by (tests set it). */
  now?: Date;
}

/**
 * Refresh a stack's live state and compare it with what was applied: the plan at the last applied
 * commit (its drift list; its changes are what remediation would do). The check reads through
 * read-only sessions, which cannot write; only remediation (an apply, under the stack's lock) opens
 * read-write ones.
 */
export async function driftStack(ws: Workspace, stack: string, opts: DriftOptions = {}): Promise<DriftOutcome> {
  const store = await ws.store();
  const state = await store.stackState(ws.key(stack));
  if (!state.appliedCommit) return { stack, diagnostics: [] };
  const at = await ws.repoAt(state.appliedCommit);
  if (!at.repoConfig?.stacks[stack]) return { stack, diagnostics: at.diagnostics };
  const inputs = await ws.stackInputs(state.appliedCommit, at.repoConfig, at.registry, stack);
  const r = await ws.planStack(inputs, { refresh: true, readOnly: true });
  if (!r.planned) return { stack, diagnostics: r.diagnostics };
  const checked = liveCount(r.planned);
  if (r.planned.plan.drift.length === 0) return { stack, diagnostics: [], plan: r.planned.plan, checked };
  const now = opts.now ?? new Date();
  const parsed = await acksAt(ws, opts.acksCommit ?? state.appliedCommit, now);
  const split = applyAcks(r.planned.plan.drift, stack, parsed.acks, now);
  const plan = { ...r.planned.plan, drift: split.drift };
  const acks = {
    acknowledged: split.acknowledged,
    lapsed: split.lapsed,
    ...(parsed.diagnostics.length ? { ackDiagnostics: parsed.diagnostics } : {}),
  };
  if (plan.drift.length === 0) return { stack, diagnostics: [], plan, checked, ...acks };
  if (!opts.remediate) {
    const id = await store.startRun(ws.key(stack), { kind: 'drift', trigger: opts.trigger ?? 'drift check', commit: state.appliedCommit });
    await store.setRunPlan(id, plan);
    await store.finishRun(id, 'drifted', plan.summary, [
      ...plan.drift.map((d) => ({ id: d.id, action: d.gone ? 'deleted outside' : 'changed outside', outcome: 'ok' as const })),
      // Acknowledged drift is kept in the record too (it alarms nowhere, but the history shows it).
      ...split.acknowledged.map((a) => ({
        id: a.id,
        action: `acknowledged (${a.acks.map((k) => `${k.owner} until ${k.expires}`).join('; ')})`,
        outcome: 'ok' as const,
      })),
    ]);
    return { stack, diagnostics: [], plan, checked, runId: id, ...acks };
  }
  // A provider writes a whole object: a resource with acknowledged drift is left alone entirely.
  const skip = new Set(split.acknowledged.map((a) => a.id));
  const notRemediated = plan.drift.filter((d) => skip.has(d.id)).map((d) => d.id);
  const rest = withoutChanges(r.planned, skip).plan;
  if (notRemediated.length && rest.changes.length === 0) return { stack, diagnostics: [], plan, checked, ...acks, notRemediated };
  const remediation = await applyStack(ws, {
    commit: state.appliedCommit,
    stack,
    trigger: opts.trigger ?? 'drift remediation',
    kind: 'remediate',
    skip,
    expectDigest: rest.digest,
  });
  return { stack, diagnostics: [], plan, checked, remediation, ...acks, ...(notRemediated.length ? { notRemediated } : {}) };
}

/**
 * How many recorded resources were compared with their live state. Drift is about everything
 * recorded (resources no longer declared included), not the manifests' count of unchanged resources.
 */
function liveCount(planned: PlannedStack): { read: number; unread: number } {
  let read = 0;
  for (const id of planned.recorded.keys()) if (planned.live?.has(id)) read++;
  return { read, unread: planned.recorded.size - read };
}
