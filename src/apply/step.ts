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
 * Carry out one step. A journal entry is written before each provider call and finished after it;
 * the resource is recorded (or forgotten) as soon as the call returns. Throws when the step failed.
 */
export async function applyStep(ctx: StepContext, s: Step): Promise<void> {
  const { store, key } = ctx;
  const apiVersion = (s.desired ?? s.recorded)!.apiVersion;
  const session = ctx.sessionFor(apiVersion);
  if (!session) throw new Error(`no target for ${apiVersion} in this stack`);
  const prior = ctx.recorded.get(s.id);
  if (s.action === 'delete') {
    if (s.diff.length > 0) await journaled(ctx, s.id, 'delete', prior!, () => session.delete(prior!));
    await store.deleteResource(key, s.id);
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
  let out: Spec;
  if (s.action === 'replace') {
    await journaled(ctx, s.id, 'replace-delete', prior!, () => session.delete(prior!));
    await store.deleteResource(key, s.id);
    out = await journaled(ctx, s.id, 'replace-create', intent, () => session.create(desired));
  } else if (s.action === 'create') {
    out = await journaled(ctx, s.id, 'create', intent, () => session.create(desired));
  } else {
    const changed = diffSpecs(resolved, prior!.spec, undefined, d.sensitive, d.info?.equal).map((e) => e.path);
    // Drift repair: the recorded spec matches but the live object does not; every planned path changes.
    const paths = changed.length ? changed : s.diff.map((e) => e.path);
    out = await journaled(ctx, s.id, 'update', intent, () => session.update(desired, prior!, paths));
  }
  const rec = toRecorded(d, resolved, out, prior);
  await store.putResource(key, rec);
  ctx.outputs.set(s.id, rec.outputs);
}

/** A provider call between a journal entry and its outcome (the error message redacted). */
async function journaled<T>(ctx: StepContext, id: string, op: string, resource: RecordedResource, call: () => Promise<T>): Promise<T> {
  const entry = await ctx.store.journalStart(ctx.runId, ctx.key, id, op, resource);
  try {
    const r = await call();
    await ctx.store.journalFinish(entry, 'ok');
    return r;
  } catch (err) {
    await ctx.store.journalFinish(entry, 'failed', ctx.redact((err as Error).message));
    throw err;
  }
}
