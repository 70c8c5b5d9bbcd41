import type { Outputs, Spec } from '../sdk/provider.js';
import { isSensitiveMask } from '../sdk/provider.js';
import type { DesiredResource } from '../plan/desired.js';
import type { RecordedResource } from '../plan/model.js';
import { flatten, getPointer, setPointer } from '../plan/values.js';
import { isSensitivePath, maskValue, matchesMask } from '../plan/sensitive.js';

/** Replace every sensitive value of a resolved spec by a salted hash (keeping the prior one when unchanged). Pure but for the salt. */
export function maskSpec(resolved: Spec, sensitive: readonly string[], prior?: Spec): Spec {
  const out = structuredClone(resolved) as Record<string, unknown>;
  for (const [p, v] of flatten(resolved, '')) {
    if (!isSensitivePath(`/spec${p}`, sensitive)) continue;
    const before = prior ? getPointer(prior, p) : undefined;
    setPointer(out, p, isSensitiveMask(before) && matchesMask(v, before) ? before : maskValue(v));
  }
  return out as Spec;
}

/** The state record of a desired resource after a provider call. */
export function toRecorded(d: DesiredResource, resolved: Spec, outputs: Outputs, prior?: RecordedResource): RecordedResource {
  return {
    id: d.id,
    apiVersion: d.apiVersion,
    kind: d.kind,
    name: d.name,
    spec: maskSpec(resolved, d.sensitive, prior?.spec),
    outputs: outputs ?? {},
    deps: d.deps,
    protect: d.protect,
  };
}

/** Overlay an observed spec on a recorded one (fields the provider does not report stay as recorded). */
export function overlay(recorded: Spec, observed: Spec): Spec {
  const out = structuredClone(recorded) as Record<string, unknown>;
  for (const [p, v] of flatten(observed, '')) setPointer(out, p, v);
  return out as Spec;
}
