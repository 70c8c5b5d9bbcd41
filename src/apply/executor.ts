/** Carries out a plan: the step graph walked with bounded parallelism, each step journaled and recorded, one outcome per run. */
import type { Json, Session, Spec } from '../sdk/provider.js';
import type { Plan, RecordedResource, Summary } from '../plan/model.js';
import type { PlannedStack } from '../plan/planner.js';
import type { ResultChange, RunOutcome, RunRollout, StateStore, StackKey } from '../state/store.js';
import { deepEqual, getPointer, setPointer } from '../plan/values.js';
import { diffDrift } from '../plan/compare.js';
import { containsMask } from '../plan/sensitive.js';
import { type NodeOutcome, walk } from '../dag/walk.js';
import { Redactor } from './redact.js';
import { applyStep, type StepContext, type UpstreamAccess } from './step.js';
import { stepGraph } from './step-graph.js';
import { journalWriter } from './journal-writer.js';
import { reachedCommit, runOutcome } from './outcome.js';
import { exceedsBudget, failedHosts, type Wave } from '../plan/rollout.js';
import type { Step } from '../plan/planner.js';
import { Limiter } from '../sdk/concurrency.js';

export interface ProgressEvent {
  type: 'start' | 'done' | 'failed' | 'skipped';
  id: string;
  action: string;
  ms?: number;
  error?: string;
  /** The run's number of steps (progress bars). */
  total: number;
}

export interface ExecuteOptions {
  store: StateStore;
  key: StackKey;
  planned: PlannedStack;
  sessionFor(apiVersion: string): Session | undefined;
  secret(name: string): string | undefined;
  /** Provider calls at once, for every provider; unset: each provider's own (`parallelismOf`), else 8. */
  parallelism?: number;
  /** A provider's own default (Provider.parallelism), by the apiVersion of its resources. */
  parallelismOf?(apiVersion: string): number | undefined;
  trigger: string;
  kind?: 'apply' | 'remediate';
  actor?: string | null;
  pr?: number | null;
  onProgress?(e: ProgressEvent): void;
  /** Stop starting new steps (graceful shutdown); running steps finish. */
  signal?: AbortSignal;
  /** Other stacks' resources and targets, for `!ref stack:Kind/name…` (see StepContext). */
  upstream?: UpstreamAccess;
  /** Carry out the steps wave by wave (the stack's rollout); a wave over its failure budget stops the run. */
  waves?: Wave[];
}

/** How the waves of a rollout went: the hosts each reached, those that failed, and the wave that stopped the run. */
export interface WavesReport {
  waves: { hosts: string[]; failed: string[] }[];
  /** Index of the wave that exceeded its budget; later waves did not run. */
  stoppedAt?: number;
}

export interface ApplyResult {
  runId: number;
  outcome: RunOutcome;
  results: ResultChange[];
  summary: Summary;
  plan: Plan;
  /** Present when the run went wave by wave. */
  waves?: WavesReport;
  /** Where the rollout left each host (set by the engine once a stopped wave is put back). */
  rollout?: RunRollout;
}

export class StalePlanError extends Error {
  override name = 'StalePlanError';
}

/**
 * Carry out a plan: walk its changes in dependency order (deletes in reverse), at most
 * `parallelism` provider calls at a time, a journal entry before and after each call and the
 * resource recorded as soon as its call returns. A failure skips what depends on it; independent
 * branches finish. Call with the stack's lock held.
 */
export async function executePlan(o: ExecuteOptions): Promise<ApplyResult> {
  const { store, key, planned } = o;
  const { plan, steps } = planned;
  const current = await store.stackState(key);
  if (current.serial !== plan.stateSerial) {
    throw new StalePlanError(
      `the plan was made from state serial ${plan.stateSerial} but the state is now at ${current.serial}: something was applied since. Plan again.`,
    );
  }
  if (plan.errors.length) throw new StalePlanError(`the plan cannot be applied:\n- ${plan.errors.join('\n- ')}`);

  // Every secret value this run resolves, so no provider error can carry one into state or output.
  const redactor = new Redactor();
  const runId = await store.startRun(key, { kind: o.kind ?? 'apply', trigger: o.trigger, commit: plan.commit, actor: o.actor, pr: o.pr, digest: plan.digest });
  // Kept from the start (masked, as plans are): the run page shows what a running apply will do.
  await store.setRunPlan(runId, plan);
  // The serial matched: the state is the one the plan was made from.
  const recorded = planned.recorded;
  const outputs = new Map<string, Spec>();
  for (const r of recorded.values()) outputs.set(r.id, r.outputs);
  const ctx: StepContext = {
    store,
    key,
    runId,
    journal: journalWriter(store, runId, key),
    sessionFor: o.sessionFor,
    secret: (name) => {
      const v = o.secret(name);
      redactor.reveal(v);
      return v;
    },
    reveal: (v) => redactor.reveal(v),
    redact: (m) => redactor.redact(m),
    recorded,
    outputs,
    clearOutputs: new Map(),
    upstream: o.upstream,
  };

  // Redacted failure messages, as reported when each step failed.
  const failures = new Map<string, string>();
  const { width, limiters } = callLimits(steps, o);
  const step = async (id: string): Promise<void> => {
    const s = steps.get(id)!;
    const limiter = limiters.get(apiVersionOf(s));
    // A provider allowed fewer calls than the walk's width waits here, before its journal entry.
    if (limiter) return limiter.run(() => run(id, s));
    return run(id, s);
  };
  const run = async (id: string, s: Step): Promise<void> => {
    const t0 = Date.now();
    o.onProgress?.({ type: 'start', id, action: s.action, total: steps.size });
    try {
      await applyStep(ctx, s);
    } catch (err) {
      const msg = redactor.redact((err as Error).message);
      failures.set(id, msg);
      o.onProgress?.({ type: 'failed', id, action: s.action, ms: Date.now() - t0, error: msg, total: steps.size });
      throw err;
    }
    o.onProgress?.({ type: 'done', id, action: s.action, ms: Date.now() - t0, total: steps.size });
  };

  let outcomes = new Map<string, NodeOutcome>();
  let waves: WavesReport | undefined;
  let error: string | undefined;
  try {
    if (o.waves) ({ outcomes, report: waves } = await walkWaves(steps, o.waves, { parallelism: width, signal: o.signal, step }));
    else outcomes = await walk(stepGraph(steps), { parallelism: width, signal: o.signal, step });
    await syncMetadata(o, recorded);
  } catch (err) {
    error = redactor.redact((err as Error).message);
  }
  const results: ResultChange[] = [];
  for (const [id, n] of outcomes) {
    const action = steps.get(id)!.action;
    if (n.status === 'ok') results.push({ id, action, outcome: 'ok' });
    else if (n.status === 'failed') results.push({ id, action, outcome: 'failed', error: failures.get(id) });
    else {
      const why = `skipped: ${n.reason}`;
      results.push({ id, action, outcome: 'skipped', error: why });
      o.onProgress?.({ type: 'skipped', id, action, error: why, total: steps.size });
    }
  }
  const outcome = runOutcome({ steps: steps.size, results, error, aborted: !!o.signal?.aborted });
  if (reachedCommit(outcome)) await store.setAppliedCommit(key, plan.commit);
  results.sort((a, b) => (a.id < b.id ? -1 : 1));
  await store.finishRun(runId, outcome, plan.summary, results, error);
  return { runId, outcome, results, summary: plan.summary, plan, ...(waves ? { waves } : {}) };
}

/**
 * Walk the steps one wave at a time. A step whose dependency did not succeed in an earlier wave is
 * skipped; once a wave has more failed hosts than its budget, the steps of later waves are skipped
 * as not reached.
 */
async function walkWaves(
  steps: ReadonlyMap<string, Step>,
  waves: Wave[],
  o: { parallelism: number; signal?: AbortSignal; step(id: string): Promise<void> },
): Promise<{ outcomes: Map<string, NodeOutcome>; report: WavesReport }> {
  const outcomes = new Map<string, NodeOutcome>();
  const report: WavesReport = { waves: [] };
  for (const [i, wave] of waves.entries()) {
    if (report.stoppedAt !== undefined) {
      const reason = `not reached: wave ${report.stoppedAt + 1} exceeded its failure budget`;
      for (const id of wave.ids) outcomes.set(id, { status: 'skipped', reason });
      continue;
    }
    const part = new Map<string, Step>();
    for (const id of wave.ids) {
      const s = steps.get(id)!;
      const blockedBy = s.dependsOn.find((d) => outcomes.has(d) && outcomes.get(d)!.status !== 'ok');
      if (blockedBy) outcomes.set(id, { status: 'skipped', reason: `${blockedBy} did not succeed`, blockedBy });
      else part.set(id, s);
    }
    for (const [id, n] of await walk(stepGraph(part), o)) outcomes.set(id, n);
    const notOk = new Set(wave.ids.filter((id) => outcomes.get(id)?.status !== 'ok'));
    report.waves.push({ hosts: wave.hosts, failed: failedHosts(wave, notOk) });
    if (exceedsBudget(wave, notOk)) report.stoppedAt = i;
  }
  return { outcomes, report };
}

/** Resources with no change keep their state record in step with metadata (protect, dependencies). */
async function syncMetadata(o: ExecuteOptions, recorded: ReadonlyMap<string, RecordedResource>): Promise<void> {
  for (const [id, d] of o.planned.desired.resources) {
    if (o.planned.steps.has(id)) continue;
    const r = recorded.get(id);
    if (!r) continue;
    const adopted = d.refs.length ? undefined : adoptedSpec(r, d.spec, o.planned.live?.get(id), d.sensitive, d.sensitiveOutputs, d.info?.equal);
    if (adopted || r.protect !== d.protect || !deepEqual(r.deps, d.deps)) {
      await o.store.putResource(o.key, { ...r, ...adopted, protect: d.protect, deps: d.deps });
    }
  }
}

/**
 * A resource with no change whose live state differs from its record: the manifests now declare
 * what is live (drift adopted in a commit), so the record takes the live values and outputs. Only
 * when every drifted field's live value is what the manifest declares (a change left out of the
 * run, say acknowledged drift, is not one), and nothing sensitive is involved (a sensitive field
 * keeps its masked record, and drifts again).
 */
function adoptedSpec(
  r: RecordedResource,
  declared: Spec,
  live: { spec: Spec; outputs?: Spec } | null | undefined,
  sensitive: readonly string[],
  sensitiveOutputs: readonly string[],
  equal: Parameters<typeof diffDrift>[2],
): { spec: Spec; outputs: Spec } | undefined {
  if (!live) return undefined;
  const drift = diffDrift(r.spec, live.spec, equal);
  if (drift.length === 0) return undefined;
  if (sensitive.length || sensitiveOutputs.length || drift.some((e) => e.sensitive || containsMask(e.before) || containsMask(e.after))) return undefined;
  const same = (path: string, a: unknown, b: unknown) => (equal ? equal(path, a as Json, b as Json) : deepEqual(a, b));
  if (drift.some((e) => !same(e.path, getPointer(declared, e.path.slice('/spec'.length)), e.after))) return undefined;
  const spec = structuredClone(r.spec) as Record<string, unknown>;
  for (const e of drift) setPointer(spec, e.path.slice('/spec'.length), e.after);
  return { spec: spec as Spec, outputs: live.outputs ? { ...r.outputs, ...live.outputs } : r.outputs };
}

/** Provider calls at once when nothing else says. */
const DEFAULT_PARALLELISM = 8;

const apiVersionOf = (s: Step): string => (s.desired ?? s.recorded)!.apiVersion;

/**
 * How wide the walk goes (the most calls any provider of these steps may make at once) and a limiter
 * for each provider allowed fewer: `parallelism` for all when set, else each provider's own, else 8.
 */
export function callLimits(
  steps: ReadonlyMap<string, Step>,
  o: Pick<ExecuteOptions, 'parallelism' | 'parallelismOf'>,
): { width: number; limiters: Map<string, Limiter> } {
  const limits = new Map<string, number>();
  for (const s of steps.values()) {
    const v = apiVersionOf(s);
    if (!limits.has(v)) limits.set(v, Math.max(1, Math.floor(o.parallelism ?? o.parallelismOf?.(v) ?? DEFAULT_PARALLELISM)));
  }
  const width = Math.max(1, ...limits.values());
  const limiters = new Map<string, Limiter>();
  for (const [v, n] of limits) if (n < width) limiters.set(v, new Limiter(n));
  return { width, limiters };
}
