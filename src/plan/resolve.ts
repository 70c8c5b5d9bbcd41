import type { Json, Spec } from '../sdk/provider.js';
import { isSensitiveMask } from '../sdk/provider.js';
import { Ref, SecretRef, UNKNOWN, isUnknown } from '../manifests/values.js';

export interface Resolvers {
  /** The value of a reference, or UNKNOWN when it is not known yet. */
  ref(ref: Ref): unknown;
  /** The clear value of a secret, or undefined when the server does not have it. */
  secret(name: string): string | undefined;
}

/**
 * Replace !ref and !secret values in a spec. An array holding an unknown value becomes unknown
 * as a whole. Missing secrets are collected in `missing` and left unknown. Pure (given resolvers).
 */
export function resolveSpec(spec: Spec, r: Resolvers, missing: string[] = []): Spec {
  return resolveValue(spec, r, missing) as Spec;
}

function resolveValue(v: unknown, r: Resolvers, missing: string[]): unknown {
  if (v instanceof Ref) return r.ref(v);
  if (v instanceof SecretRef) {
    const s = r.secret(v.name);
    if (s === undefined) {
      missing.push(v.name);
      return UNKNOWN;
    }
    return s;
  }
  if (Array.isArray(v)) {
    const out = v.map((x) => resolveValue(x, r, missing));
    return out.some(isUnknown) ? UNKNOWN : out;
  }
  if (v && typeof v === 'object' && !isUnknown(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = resolveValue(x, r, missing);
    return out;
  }
  return v;
}

/** Read `outputs.a.b` from an outputs object; a masked (sensitive) output masks whatever is read under it. */
export function outputAt(outputs: Spec | undefined, field: string[]): Json | undefined {
  let cur: unknown = outputs;
  for (const f of field) {
    if (isSensitiveMask(cur)) return cur as string;
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[f];
  }
  return cur as Json | undefined;
}

export function containsUnknown(v: unknown): boolean {
  if (isUnknown(v)) return true;
  if (Array.isArray(v)) return v.some(containsUnknown);
  if (v && typeof v === 'object') return Object.values(v).some(containsUnknown);
  return false;
}
