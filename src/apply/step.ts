/** One resource's change: resolve its references and secrets, journal, call the provider, record the result. */
import type { Desired, Session, Spec } from '../sdk/provider.js';
import type { RecordedResource } from '../plan/model.js';
import type { Step } from '../plan/planner.js';
import { diffSpecs } from '../plan/compare.js';
import { outputAt, resolveSpec, containsUnknown } from '../plan/resolve.js';
import { UNKNOWN } from '../manifests/values.js';
import type { StateStore, StackKey } from '../state/store.js';
import { toRecorded } from './record.js';

/** What every step of one run shares. */
export interface StepContext {
  store: StateStore;
  key: StackKey;
  runId: number;
  sessionFor(apiVersion: string): Session | undefined;
  /** A secret's value by name (undefined: not available). */
  secret(name: string): string | undefined;
  /** Scrub secret values out of a message before it is journaled. */
  redact(message: string): string;
  /** The state the plan was made from, by id; read-only. */
  recorded: ReadonlyMap<string, RecordedResource>;
  /** Every resource's current outputs by id, for `!ref`s; each step updates its own. */
  outputs: Map<string, Spec>;
}

/**
 * Carry out one step. A journal entry is written before each provider call; when the call returns,
 * the entry's outcome and the resource's record (or its removal) are written in one transaction.
 * Throws when the step failed.
 */
export async function applyStep(ctx: StepContext, s: Step): Promise<void> {
  const { store, key } = ctx;
  const apiVersion = (s.desired ?? s.recorded)!.apiVersion;
  const session = ctx.sessionFor(apiVersion);
  if (!session) throw new Error(`no target for ${apiVersion} in this stack`);
  const prior = ctx.recorded.get(s.id);
  const forget = () => ({ forget: s.id });
  if (s.action === 'delete') {
    if (s.diff.length > 0) await journaled(ctx, s.id, 'delete', prior!, () => session.delete(prior!), forget);
    else await store.deleteResource(key, s.id);
    ctx.outputs.delete(s.id);
    return;
  }
  const d = s.desired!;
  const missing: string[] = [];
  const resolved = resolveSpec(d.spec, { ref: (ref) => outputAt(ctx.outputs.get(ref.target), ref.field) ?? UNKNOWN, secret: ctx.secret }, missing);
  if (missing.length) throw new Error(`secret ${missing.join(', ')} is not available`);
  if (containsUnknown(resolved)) throw new Error('a !ref has no value: the referenced resource has no such output');
  const desired: Desired = { id: d.id, apiVersion: d.apiVersion, kind: d.kind, name: d.name, spec: resolved, adopt: d.adopt };
  const intent = toRecorded(d, resolved, prior?.outputs ?? {}, prior);
  const record = (out: Spec) => ({ put: toRecorded(d, resolved, out, prior) });
  let rec: { put: RecordedResource };
  if (s.action === 'replace') {
    await journaled(ctx, s.id, 'replace-delete', prior!, () => session.delete(prior!), forget);
    rec = await journaled(ctx, s.id, 'replace-create', intent, () => session.create(desired), record);
  } else if (s.action === 'create') {
    rec = await journaled(ctx, s.id, 'create', intent, () => session.create(desired), record);
  } else {
    const changed = diffSpecs(resolved, prior!.spec, undefined, d.sensitive, d.info?.equal).map((e) => e.path);
    // Drift repair: the recorded spec matches but the live object does not; every planned path changes.
    const paths = changed.length ? changed : s.diff.map((e) => e.path);
    rec = await journaled(ctx, s.id, 'update', intent, () => session.update(desired, prior!, paths), record);
  }
  ctx.outputs.set(s.id, rec.put.outputs);
}

/**
 * A provider call between a journal entry and its outcome: on success the entry is finished together
 * with the state change `effect` gives (one transaction); on failure with the redacted error message.
 */
async function journaled<T, E extends { put: RecordedResource } | { forget: string }>(
  ctx: StepContext,
  id: string,
  op: string,
  resource: RecordedResource,
  call: () => Promise<T>,
  effect: (result: T) => E,
): Promise<E> {
  const entry = await ctx.store.journalStart(ctx.runId, ctx.key, id, op, resource);
  let result: T;
  try {
    result = await call();
  } catch (err) {
    await ctx.store.journalFinish(entry, 'failed', ctx.redact((err as Error).message));
    throw err;
  }
  const e = effect(result);
  await ctx.store.journalDone(entry, ctx.key, e);
  return e;
}
