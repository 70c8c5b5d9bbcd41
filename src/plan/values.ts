import { createHash } from 'node:crypto';
import type { Json } from '../sdk/provider.js';
import { escapePointer } from '../manifests/validate.js';
import { isUnknown } from '../manifests/values.js';

/** Flatten a value into leaves keyed by JSON pointer: objects are descended, arrays and scalars are leaves. */
export function flatten(v: unknown, prefix: string, out = new Map<string, unknown>()): Map<string, unknown> {
  if (v && typeof v === 'object' && !Array.isArray(v) && !isUnknown(v) && (v as object).constructor === Object) {
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.length === 0) out.set(prefix, {});
    for (const [k, x] of entries) flatten(x, `${prefix}/${escapePointer(k)}`, out);
  } else if (v !== undefined) {
    out.set(prefix, v);
  }
  return out;
}

/** Deep equality of JSON values (object key order ignored). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.hasOwn(b as object, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** JSON with object keys sorted: the same value always gives the same bytes. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(sortKeys(v));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o).sort()) if (o[k] !== undefined) out[k] = sortKeys(o[k]);
    return out;
  }
  return v;
}

export function sha256(text: string): string {
  return 'sha256:' + createHash('sha256').update(text).digest('hex');
}

/** sha256 of the text the parts make together, without making that text (it may be megabytes). */
export function sha256Parts(parts: Iterable<string>): string {
  const h = createHash('sha256');
  for (const part of parts) h.update(part);
  return 'sha256:' + h.digest('hex');
}

/** Read a value at a JSON pointer. */
export function getPointer(v: unknown, pointer: string): unknown {
  if (!pointer) return v;
  let cur: unknown = v;
  for (const seg of pointer.slice(1).split('/')) {
    const k = seg.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

/** Set a value at a JSON pointer (creating objects on the way) in place. */
export function setPointer(v: Record<string, unknown>, pointer: string, value: unknown): void {
  const segs = pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  let cur: Record<string, unknown> = v;
  for (const seg of segs.slice(0, -1)) {
    if (!cur[seg] || typeof cur[seg] !== 'object') cur[seg] = {};
    cur = cur[seg] as Record<string, unknown>;
  }
  cur[segs[segs.length - 1]] = value;
}

export type { Json };
