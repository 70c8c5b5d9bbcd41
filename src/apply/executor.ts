import type { Desired, Session, Spec } from '../sdk/provider.js';
import type { Plan, RecordedResource, Summary } from '../plan/model.js';
import type { PlannedStack, Step } from '../plan/planner.js';
import { diffSpecs } from '../plan/compare.js';
import { outputAt, resolveSpec, containsUnknown } from '../plan/resolve.js';
import { UNKNOWN } from '../manifests/values.js';
import type { ResultChange, RunOutcome, StateStore, StackKey } from '../state/store.js';
import { toRecorded } from './record.js';
import { deepEqual } from '../plan/values.js';

export interface ProgressEvent {
  type: 'start' | 'done' | 'failed' | 'skipped';
  id: string;
  action: string;
  ms?: number;
  error?: string;
}

export interface ExecuteOptions {
  store: StateStore;
  key: StackKey;
  planned: PlannedStack;
  sessionFor(apiVersion: string): Session | undefined;
  secret(name: string): string | undefined;
  parallelism?: number;
  trigger: string;
  kind?: 'apply' | 'remediate';
  actor?: string | null;
  pr?: number | null;
  onProgress?(e: ProgressEvent): void;
  /** Stop starting new steps (graceful shutdown); running steps finish. */
  signal?: AbortSignal;
}

export interface ApplyResult {
  runId: number;
  outcome: RunOutcome;
  results: ResultChange[];
  summary: Summary;
  plan: Plan;
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
  const revealed = new Set<string>();
  const secret = (name: string): string | undefined => {
    const v = o.secret(name);
    if (v && v.length >= 4) revealed.add(v);
    return v;
  };
  const redact = (msg: string): string => {
    let out = msg;
    for (const v of revealed) out = out.split(v).join('(sensitive value)');
    return out;
  };
  const runId = await store.startRun(key, { kind: o.kind ?? 'apply', trigger: o.trigger, commit: plan.commit, actor: o.actor, pr: o.pr, digest: plan.digest });
  // The serial matched: the state is the one the plan was made from.
  const recorded = planned.recorded;
  const outputs = new Map<string, Spec>();
  for (const r of recorded.values()) outputs.set(r.id, r.outputs);

  const status = new Map<string, 'ok' | 'failed' | 'skipped'>();
  const done = new Map<string, Promise<void>>();
  const results: ResultChange[] = [];
  const limit = Math.max(1, o.parallelism ?? 8);
  let running = 0;
  const waiting: (() => void)[] = [];
  const slot = async (): Promise<void> => {
    if (running < limit) {
      running++;
      return;
    }
    await new Promise<void>((r) => waiting.push(r));
  };
  const free = (): void => {
    const next = waiting.shift();
    if (next) next();
    else running--;
  };

  // Order: a change waits for the changes of what it depends on; a delete waits for the deletes of
  // what depended on it.
  const waitsFor = (s: Step): string[] => {
    if (s.action === 'delete') {
      return [...steps.values()].filter((x) => x.action === 'delete' && x.recorded?.deps.includes(s.id)).map((x) => x.id);
    }
    return s.dependsOn.filter((d) => steps.has(d) && steps.get(d)!.action !== 'delete');
  };

  const run = (s: Step): Promise<void> => {
    let p = done.get(s.id);
    if (p) return p;
    p = (async () => {
      const deps = waitsFor(s);
      await Promise.all(deps.map((d) => run(steps.get(d)!)));
      const blocked = deps.find((d) => status.get(d) !== 'ok');
      if (blocked || o.signal?.aborted) {
        const why = blocked ? `skipped: ${blocked} did not succeed` : 'skipped: shutting down';
        status.set(s.id, 'skipped');
        results.push({ id: s.id, action: s.action, outcome: 'skipped', error: why });
        o.onProgress?.({ type: 'skipped', id: s.id, action: s.action, error: why });
        return;
      }
      await slot();
      const t0 = Date.now();
      o.onProgress?.({ type: 'start', id: s.id, action: s.action });
      try {
        await applyStep(s);
        status.set(s.id, 'ok');
        results.push({ id: s.id, action: s.action, outcome: 'ok' });
        o.onProgress?.({ type: 'done', id: s.id, action: s.action, ms: Date.now() - t0 });
      } catch (err) {
        const msg = redact((err as Error).message);
        status.set(s.id, 'failed');
        results.push({ id: s.id, action: s.action, outcome: 'failed', error: msg });
        o.onProgress?.({ type: 'failed', id: s.id, action: s.action, ms: Date.now() - t0, error: msg });
      } finally {
        free();
      }
    })();
    done.set(s.id, p);
    return p;
  };

  const applyStep = async (s: Step): Promise<void> => {
    const apiVersion = (s.desired ?? s.recorded)!.apiVersion;
    const session = o.sessionFor(apiVersion);
    if (!session) throw new Error(`no target for ${apiVersion} in this stack`);
    const prior = recorded.get(s.id);
    if (s.action === 'delete') {
      if (s.diff.length > 0) await journaled(s.id, 'delete', prior!, () => session.delete(prior!));
      await store.deleteResource(key, s.id);
      outputs.delete(s.id);
      return;
    }
    const d = s.desired!;
    const missing: string[] = [];
    const resolved = resolveSpec(
      d.spec,
      {
        ref: (ref) => outputAt(outputs.get(ref.target), ref.field) ?? UNKNOWN,
        secret,
      },
      missing,
    );
    if (missing.length) throw new Error(`secret ${missing.join(', ')} is not available`);
    if (containsUnknown(resolved)) throw new Error('a !ref has no value: the referenced resource has no such output');
    const desired: Desired = { id: d.id, apiVersion: d.apiVersion, kind: d.kind, name: d.name, spec: resolved, adopt: d.adopt };
    const intent = toRecorded(d, resolved, prior?.outputs ?? {}, prior);
    let out: Spec;
    if (s.action === 'replace') {
      await journaled(s.id, 'replace-delete', prior!, () => session.delete(prior!));
      await store.deleteResource(key, s.id);
      out = await journaled(s.id, 'replace-create', intent, () => session.create(desired));
    } else if (s.action === 'create') {
      out = await journaled(s.id, 'create', intent, () => session.create(desired));
    } else {
      const changed = diffSpecs(resolved, prior!.spec, undefined, d.sensitive, d.info?.equal).map((e) => e.path);
      // Drift repair: the recorded spec matches but the live object does not; every planned path changes.
      const paths = changed.length ? changed : s.diff.map((e) => e.path);
      out = await journaled(s.id, 'update', intent, () => session.update(desired, prior!, paths));
    }
    const rec = toRecorded(d, resolved, out, prior);
    await store.putResource(key, rec);
    outputs.set(s.id, rec.outputs);
  };

  const journaled = async <T>(id: string, op: string, resource: RecordedResource, call: () => Promise<T>): Promise<T> => {
    const entry = await store.journalStart(runId, key, id, op, resource);
    try {
      const r = await call();
      await store.journalFinish(entry, 'ok');
      return r;
    } catch (err) {
      await store.journalFinish(entry, 'failed', redact((err as Error).message));
      throw err;
    }
  };

  let error: string | undefined;
  try {
    await Promise.all([...steps.values()].map(run));
    await syncMetadata(o, recorded, status);
  } catch (err) {
    error = redact((err as Error).message);
  }
  const failed = results.filter((r) => r.outcome !== 'ok').length;
  const outcome: RunOutcome = error
    ? 'failed'
    : steps.size === 0
      ? 'no-changes'
      : failed === 0
        ? 'succeeded'
        : failed === steps.size
          ? 'failed'
          : o.signal?.aborted
            ? 'interrupted'
            : 'partial';
  if (outcome === 'succeeded' || outcome === 'no-changes') await store.setAppliedCommit(key, plan.commit);
  results.sort((a, b) => (a.id < b.id ? -1 : 1));
  await store.finishRun(runId, outcome, plan.summary, results, error);
  return { runId, outcome, results, summary: plan.summary, plan };
}

/** Resources with no change keep their state record in step with metadata (protect, dependencies). */
async function syncMetadata(o: ExecuteOptions, recorded: Map<string, RecordedResource>, status: Map<string, string>): Promise<void> {
  for (const [id, d] of o.planned.desired.resources) {
    if (o.planned.steps.has(id) || status.has(id)) continue;
    const r = recorded.get(id);
    if (!r) continue;
    if (r.protect !== d.protect || !deepEqual(r.deps, d.deps)) {
      await o.store.putResource(o.key, { ...r, protect: d.protect, deps: d.deps });
    }
  }
}
