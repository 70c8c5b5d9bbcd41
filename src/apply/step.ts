/** One resource's change: resolve its references and secrets, journal, call the provider, record the result. */
import type { Desired, Recorded, Session, Spec } from '../sdk/provider.js';
import type { RecordedResource } from '../plan/model.js';
import type { DesiredResource } from '../plan/desired.js';
import type { Step } from '../plan/planner.js';
import { diffSpecs } from '../plan/compare.js';
import { outputAt, resolveSpec, containsUnknown } from '../plan/resolve.js';
import { containsMask, matchesMask, unmaskSpec } from '../plan/sensitive.js';
import { UNKNOWN, type Ref } from '../manifests/values.js';
import type { StateStore, StackKey } from '../state/store.js';
import { recordedOutputs, sensitiveStrings, toRecorded } from './record.js';
import type { JournalWriter } from './journal-writer.js';

/** What every step of one run shares. */
export interface StepContext {
  store: StateStore;
  key: StackKey;
  runId: number;
  /** The run's journal, group-committed. */
  journal: JournalWriter;
  sessionFor(apiVersion: string): Session | undefined;
  /** A secret's value by name (undefined: not available). */
  secret(name: string): string | undefined;
  /** Remember a clear sensitive value, so that no message can carry it out. */
  reveal(value: string): void;
  /** Scrub secret values out of a message before it is journaled. */
  redact(message: string): string;
  /** The state the plan was made from, by id; read-only. */
  recorded: ReadonlyMap<string, RecordedResource>;
  /** Every resource's outputs as state records them (sensitive ones masked), by id; each step updates its own. */
  outputs: Map<string, Spec>;
  /** Outputs in clear, by id: those of this run's steps, and those read back for a !ref to a masked output. */
  clearOutputs: Map<string, Spec>;
  /** Other stacks' resources, for `!ref stack:Kind/name…` (their applies ran first in the workflow). */
  upstream?: UpstreamAccess;
}

/** Another stack's state as it is now, and its targets (a masked output is read back through them). */
export interface UpstreamAccess {
  /** The resource as that stack's state records it (sensitive outputs masked); undefined: not recorded. */
  resource(stack: string, id: string): Promise<RecordedResource | undefined>;
  /** A read-only session of that stack's target for `apiVersion`; undefined: the stack names none. */
  session(stack: string, apiVersion: string): Promise<Session | undefined>;
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
  const live = prior ? unmasked(ctx, prior) : undefined;
  const forget = () => ({ forget: s.id });
  if (s.action === 'delete') {
    if (s.diff.length > 0) await journaled(ctx, s.id, 'delete', prior!, () => session.delete(live!), forget);
    else await store.deleteResource(key, s.id);
    ctx.outputs.delete(s.id);
    ctx.clearOutputs.delete(s.id);
    return;
  }
  const d = s.desired!;
  await readStackOutputs(ctx, d);
  await readMaskedOutputs(ctx, d);
  const missing: string[] = [];
  const clear = resolveSpec(
    d.spec,
    { ref: (ref) => outputAt(ctx.clearOutputs.get(ref.resource) ?? ctx.outputs.get(ref.resource), ref.field) ?? UNKNOWN, secret: ctx.secret },
    missing,
  );
  if (missing.length) throw new Error(`secret ${missing.join(', ')} is not available`);
  if (containsUnknown(clear)) throw new Error('a !ref has no value: the referenced resource has no such output');
  for (const v of sensitiveStrings(clear, d.sensitive)) ctx.reveal(v);
  // The spec as a plan resolves it: a !ref to a masked output is that mask (state records its hash).
  const visible = d.refs.length
    ? resolveSpec(d.spec, { ref: (ref) => outputAt(ctx.outputs.get(ref.resource), ref.field) ?? UNKNOWN, secret: ctx.secret })
    : clear;
  const desired: Desired = { id: d.id, apiVersion: d.apiVersion, kind: d.kind, name: d.name, spec: clear, adopt: d.adopt };
  const intent = toRecorded(d, clear, prior?.outputs ?? {}, prior, visible);
  let out: Spec = {};
  // The record keeps the intent's spec (masked once: journal and state hold the same masks) with the
  // call's outputs.
  const record = (o: Spec) => {
    out = o ?? {};
    return { put: { ...intent, outputs: recordedOutputs(d, clear, out, prior) } };
  };
  let rec: { put: RecordedResource };
  if (s.action === 'replace') {
    await journaled(ctx, s.id, 'replace-delete', prior!, () => session.delete(live!), forget);
    rec = await journaled(ctx, s.id, 'replace-create', intent, () => session.create(desired), record);
  } else if (s.action === 'create') {
    rec = await journaled(ctx, s.id, 'create', intent, () => session.create(desired), record);
  } else {
    const changed = diffSpecs(clear, prior!.spec, undefined, d.sensitive, d.info?.equal).map((e) => e.path);
    // Drift repair: the recorded spec matches but the live object does not; every planned path changes.
    // Fired triggers (`/triggers/reload`) are passed on either way.
    const triggered = s.diff.filter((e) => e.path.startsWith('/triggers/')).map((e) => e.path);
    const own = changed.length ? changed : s.diff.filter((e) => !e.path.startsWith('/triggers/')).map((e) => e.path);
    const paths = [...own, ...triggered];
    rec = await journaled(ctx, s.id, 'update', intent, () => session.update(desired, live!, paths), record);
  }
  ctx.outputs.set(s.id, rec.put.outputs);
  ctx.clearOutputs.set(s.id, out);
}

/** A recorded resource as a provider needs to find it: fields that are a secret given in clear again. */
function unmasked(ctx: StepContext, r: RecordedResource): Recorded {
  const spec = unmaskSpec(r.spec, ctx.secret);
  return spec === r.spec ? r : { ...r, spec };
}

/**
 * The outputs another stack's resources have now, for `!ref stack:Kind/name…` (its apply ran
 * first in the workflow), read once per run under `stack:Kind/name`. A sensitive output is kept
 * masked in that stack's state: its clear value is read back from the live object through that
 * stack's target, as for a masked output of this stack.
 */
async function readStackOutputs(ctx: StepContext, d: DesiredResource): Promise<void> {
  for (const { ref } of d.refs) {
    if (ref.stack === undefined || ctx.clearOutputs.has(ref.resource)) continue;
    let outputs = ctx.outputs.get(ref.resource);
    let rec: RecordedResource | undefined;
    if (!outputs) {
      rec = await ctx.upstream?.resource(ref.stack, ref.target);
      if (!rec) throw new Error(`!ref ${ref}: stack ${ref.stack} has not applied ${ref.target} yet; apply stack ${ref.stack} first`);
      outputs = rec.outputs;
      ctx.outputs.set(ref.resource, outputs);
    }
    if (!containsMask(outputAt(outputs, ref.field))) continue;
    rec ??= await ctx.upstream?.resource(ref.stack, ref.target);
    const session = rec && (await ctx.upstream?.session(ref.stack, rec.apiVersion));
    if (!rec || !session)
      throw new Error(`!ref ${ref}: stack ${ref.stack} names no target for ${rec?.apiVersion ?? ref.target} to read its sensitive output from`);
    ctx.clearOutputs.set(ref.resource, await readClearOutputs(ctx, ref, rec, outputs, session));
  }
}

/**
 * A !ref to an output that state keeps masked (derived from a secret) needs its clear value, which
 * only the live object has: read it back, once per run, and check it is the value that was
 * recorded (and so the value the plan was reviewed with).
 */
async function readMaskedOutputs(ctx: StepContext, d: DesiredResource): Promise<void> {
  for (const { ref } of d.refs) {
    if (ref.stack !== undefined || ctx.clearOutputs.has(ref.target)) continue;
    const masked = ctx.outputs.get(ref.target);
    if (!masked || !containsMask(outputAt(masked, ref.field))) continue;
    const rec = ctx.recorded.get(ref.target);
    const session = rec && ctx.sessionFor(rec.apiVersion);
    if (!rec || !session) throw new Error(`!ref ${ref}: ${ref.target} is not recorded in this stack`);
    ctx.clearOutputs.set(ref.target, await readClearOutputs(ctx, ref, rec, masked, session));
  }
}

/**
 * The live outputs of a recorded resource whose recorded outputs (`masked`) hold masks: each
 * masked one must still match its mask (else the value changed since the plan: plan again). The
 * clear values are revealed to the run's redactor before they are used.
 */
async function readClearOutputs(ctx: StepContext, ref: Ref, rec: RecordedResource, masked: Spec, session: Session): Promise<Spec> {
  const observed = await session.read(unmasked(ctx, rec));
  if (!observed) throw new Error(`!ref ${ref}: ${ref.resource} no longer exists (deleted outside driftless); plan again`);
  const outputs = observed.outputs ?? {};
  for (const [k, v] of Object.entries(masked)) {
    if (!containsMask(v)) continue;
    if (!matchesMask(outputs[k], v))
      throw new Error(`!ref ${ref}: the output ${k} of ${ref.resource} changed outside driftless since it was recorded; plan again`);
    for (const x of sensitiveStrings({ [k]: outputs[k] }, [`/spec/${k}`])) ctx.reveal(x);
  }
  return outputs;
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
  const entry = await ctx.journal.start(id, op, resource);
  let result: T;
  try {
    result = await call();
  } catch (err) {
    await ctx.journal.failed(entry, ctx.redact((err as Error).message));
    throw err;
  }
  const e = effect(result);
  await ctx.journal.done(entry, e);
  return e;
}
