import type { Json, KindInfo, Spec } from '../sdk/provider.js';
import { isSensitiveMask } from '../sdk/provider.js';
import { isUnknown } from '../manifests/values.js';
import type { DiffEntry } from './model.js';
import { deepEqual, flatten } from './values.js';
import { containsMask, isSensitivePath, matchesMask } from './sensitive.js';

type EqualFn = KindInfo['equal'];

function same(path: string, desired: unknown, current: unknown, equal?: EqualFn): boolean {
  if (isSensitiveMask(current)) return matchesMask(desired, current);
  if (equal) return equal(path, desired as Json | undefined, current as Json | undefined);
  return deepEqual(desired, current);
}

function entry(path: string, before: unknown, after: unknown, sensitive: boolean): DiffEntry {
  const e: DiffEntry = { path };
  if (sensitive) {
    e.sensitive = true;
    if (isUnknown(after)) e.unknown = true;
    return e;
  }
  if (before !== undefined) e.before = before as Json;
  if (isUnknown(after)) e.unknown = true;
  else if (after !== undefined) e.after = after as Json;
  return e;
}

/**
 * Field-level differences between a desired spec (resolved; may hold UNKNOWN and clear secrets)
 * and the current one: the live value where the provider reported the field, else the recorded
 * one. Only fields that are declared or were recorded are compared. Pure.
 */
export function diffSpecs(desired: Spec, recorded: Spec | undefined, live: Spec | undefined, sensitive: readonly string[], equal?: EqualFn): DiffEntry[] {
  const d = flatten(desired, '/spec');
  const r = recorded ? flatten(recorded, '/spec') : new Map<string, unknown>();
  const l = live ? flatten(live, '/spec') : undefined;
  const paths = [...new Set([...d.keys(), ...r.keys()])].sort();
  const out: DiffEntry[] = [];
  for (const p of paths) {
    const want = d.get(p);
    const current = l?.has(p) ? l.get(p) : r.get(p);
    // A value taken by !ref from a masked output is known here only by its mask: it is unchanged
    // when it is what was recorded and the live field still holds the recorded value.
    if (l?.has(p) && containsMask(want) && isSensitiveMask(r.get(p)) && matchesMask(want, r.get(p)) && matchesMask(current, r.get(p))) continue;
    const sens = isSensitivePath(p, sensitive) || isSensitiveMask(current);
    if (!isUnknown(want) && want !== undefined && current !== undefined && same(p, want, current, equal)) continue;
    if (want === undefined && current === undefined) continue;
    out.push(entry(p, current, want, sens));
  }
  return out;
}

/** Every field of a new resource, as a diff from nothing. */
export function diffCreate(desired: Spec, sensitive: readonly string[]): DiffEntry[] {
  return [...flatten(desired, '/spec')].sort(([a], [b]) => (a < b ? -1 : 1)).map(([p, v]) => entry(p, undefined, v, isSensitivePath(p, sensitive)));
}

/** Every recorded field of a resource that goes away. */
export function diffDelete(recorded: Spec): DiffEntry[] {
  return [...flatten(recorded, '/spec')].sort(([a], [b]) => (a < b ? -1 : 1)).map(([p, v]) => entry(p, v, undefined, isSensitiveMask(v)));
}

/** Drift: where the live object differs from what was recorded after the last apply. Pure. */
export function diffDrift(recorded: Spec, live: Spec, equal?: EqualFn): DiffEntry[] {
  const r = flatten(recorded, '/spec');
  const l = flatten(live, '/spec');
  const out: DiffEntry[] = [];
  for (const [p, rec] of [...r].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!l.has(p)) continue; // the provider does not report this field
    const now = l.get(p);
    if (same(p, now, rec, equal)) continue;
    out.push(entry(p, rec, now, isSensitiveMask(rec)));
  }
  return out;
}
