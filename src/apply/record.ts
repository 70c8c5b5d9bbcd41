/** What state keeps of a resource after a provider call: its spec and outputs with every sensitive value masked. */
import type { Outputs, Spec } from '../sdk/provider.js';
import { isSensitiveMask } from '../sdk/provider.js';
import type { DesiredResource } from '../plan/desired.js';
import type { RecordedResource } from '../plan/model.js';
import { deepEqual, flatten, getPointer, setPointer } from '../plan/values.js';
import { containsMask, isSensitivePath, maskValue, matchesMask, secretOf } from '../plan/sensitive.js';
import { SecretRef } from '../manifests/values.js';

/**
 * Replace every sensitive value of a resolved spec by a salted hash, keeping the prior mask when
 * the value is unchanged. `clear` is the spec handed to the provider; `visible` the same spec as a
 * plan resolves it (a !ref to a sensitive output gives that output's mask). Pure but for the salt.
 */
export function maskSpec(clear: Spec, sensitive: readonly string[], prior?: Spec, visible: Spec = clear, manifest?: Spec): Spec {
  const out = structuredClone(visible) as Record<string, unknown>;
  for (const [p, v] of flatten(visible, '')) {
    if (!isSensitivePath(`/spec${p}`, sensitive) && !containsMask(v)) continue;
    const c = getPointer(clear, p);
    const seen = containsMask(v) && !deepEqual(v, c) ? v : undefined;
    const tag = manifest ? getPointer(manifest, p) : undefined;
    const secret = tag instanceof SecretRef ? tag.name : undefined;
    const before = prior ? getPointer(prior, p) : undefined;
    const keep = isSensitiveMask(before) && matchesMask(c, before) && (seen === undefined || matchesMask(seen, before)) && secretOf(before) === secret;
    setPointer(out, p, keep ? before : maskValue(c, undefined, { visible: seen, secret }));
  }
  return out as Spec;
}

/**
 * Outputs with each sensitive one masked: those the kind derives from a sensitive field
 * (`sensitiveOutputs`, `*` for all), and any that carries one of `revealed` (a provider echoing a
 * secret). A masked output keeps its prior mask while its value is unchanged. Pure but for the salt.
 */
export function maskOutputs(outputs: Outputs, sensitiveOutputs: readonly string[], revealed: readonly string[], prior?: Outputs): Outputs {
  const all = sensitiveOutputs.includes('*');
  let out: Outputs | undefined;
  for (const [k, v] of Object.entries(outputs)) {
    if (isSensitiveMask(v)) continue;
    if (!all && !sensitiveOutputs.includes(k) && !carries(v, revealed)) continue;
    out ??= { ...outputs };
    const before = prior?.[k];
    out[k] = isSensitiveMask(before) && matchesMask(v, before) ? before! : maskValue(v);
  }
  return out ?? outputs;
}

function carries(v: unknown, revealed: readonly string[]): boolean {
  if (!revealed.length) return false;
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  return revealed.some((s) => text === s || (s.length >= 4 && text.includes(s)));
}

/** The clear string values at a resource's sensitive fields (what no output may carry on). */
export function sensitiveStrings(clear: Spec, sensitive: readonly string[]): string[] {
  const out: string[] = [];
  for (const [p, v] of flatten(clear, '')) {
    if (!isSensitivePath(`/spec${p}`, sensitive)) continue;
    const collect = (x: unknown): void => {
      if (typeof x === 'string' && x.length) out.push(x);
      else if (x && typeof x === 'object') Object.values(x).forEach(collect);
    };
    collect(v);
  }
  return out;
}

/**
 * The state record of a desired resource after a provider call: `clear` is what the provider got,
 * `visible` the spec as plans resolve it (defaults to `clear`).
 */
export function toRecorded(d: DesiredResource, clear: Spec, outputs: Outputs, prior?: RecordedResource, visible: Spec = clear): RecordedResource {
  return {
    id: d.id,
    apiVersion: d.apiVersion,
    kind: d.kind,
    name: d.name,
    spec: maskSpec(clear, d.sensitive, prior?.spec, visible, d.spec),
    outputs: recordedOutputs(d, clear, outputs, prior),
    deps: d.deps,
    protect: d.protect,
  };
}

/** The outputs state records of a provider call's `outputs` (each sensitive one masked, see maskOutputs). */
export function recordedOutputs(d: DesiredResource, clear: Spec, outputs: Outputs, prior?: RecordedResource): Outputs {
  return maskOutputs(outputs ?? {}, d.sensitiveOutputs ?? [], sensitiveStrings(clear, d.sensitive), prior?.outputs);
}

/**
 * Overlay an observed spec on a recorded one: fields the provider does not report stay as recorded,
 * and so do masked (sensitive) fields, which state never holds in clear.
 */
export function overlay(recorded: Spec, observed: Spec): Spec {
  const out = structuredClone(recorded) as Record<string, unknown>;
  for (const [p, v] of flatten(observed, '')) if (!maskedAt(recorded, p)) setPointer(out, p, v);
  return out as Spec;
}

/** Is the field at `pointer`, or a field above it, masked? */
function maskedAt(spec: Spec, pointer: string): boolean {
  const segs = pointer.slice(1).split('/');
  for (let i = 1; i <= segs.length; i++) if (isSensitiveMask(getPointer(spec, '/' + segs.slice(0, i).join('/')))) return true;
  return false;
}
