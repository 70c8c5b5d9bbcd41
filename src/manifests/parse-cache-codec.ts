/**
 * The persistent parse cache's encoding of one file's result (resources and diagnostics) as JSON,
 * exact or not at all: plain objects, arrays, strings, booleans, null, finite numbers (not -0),
 * `undefined` properties, and `!ref` / `!secret` values (each instance once, so an entry decodes
 * with the same sharing as it had). Anything else (another class, NaN, ±Infinity, -0, a key that
 * is the marker or `__proto__`) makes the entry uncacheable: the file is parsed again next time.
 * Pure.
 */
import { Ref, SecretRef } from './values.js';

const MARK = '$driftless';
type Tag = { [MARK]: 'ref' | 'secret'; i: number } | { [MARK]: 'undefined' };

/** An encoded entry: the value with tags, and the texts of its tagged values by index. */
export interface Encoded {
  v: unknown;
  t: string[];
}

/** Encode `value`, or null when it holds something the cache cannot give back exactly. */
export function encodeEntry(value: unknown): Encoded | null {
  const ids = new Map<object, number>();
  const texts: string[] = [];
  let ok = true;
  const walk = (v: unknown): unknown => {
    if (!ok) return null;
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
    if (v === undefined) return { [MARK]: 'undefined' };
    if (typeof v === 'number') {
      if (!Number.isFinite(v) || Object.is(v, -0)) ok = false;
      return v;
    }
    if (typeof v !== 'object') {
      ok = false;
      return null;
    }
    if (v instanceof Ref || v instanceof SecretRef) {
      let i = ids.get(v);
      if (i === undefined) {
        const text = v instanceof Ref ? v.toString() : v.name;
        // Only what reads back as itself (a Ref's text parses to an equal Ref).
        if (v instanceof Ref && Ref.parse(text)?.toString() !== text) ok = false;
        i = texts.push(text) - 1;
        ids.set(v, i);
      }
      return { [MARK]: v instanceof Ref ? 'ref' : 'secret', i } satisfies Tag;
    }
    if (Array.isArray(v)) return v.map(walk);
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) {
      ok = false;
      return null;
    }
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) {
      if (k === MARK || k === '__proto__') ok = false;
      out[k] = walk((v as Record<string, unknown>)[k]);
    }
    return out;
  };
  const v = walk(value);
  return ok ? { v, t: texts } : null;
}

/** The value an entry was encoded from, or null when the entry is not well formed. */
export function decodeEntry(e: unknown): unknown {
  if (!e || typeof e !== 'object' || !Array.isArray((e as Encoded).t) || !('v' in e)) return null;
  const { v, t } = e as Encoded;
  if (!t.every((x) => typeof x === 'string')) return null;
  const made = new Map<number, Ref | SecretRef>();
  let ok = true;
  const tagged = (tag: Record<string, unknown>): unknown => {
    const kind = tag[MARK];
    if (kind === 'undefined' && Object.keys(tag).length === 1) return undefined;
    const i = tag.i;
    if ((kind !== 'ref' && kind !== 'secret') || typeof i !== 'number' || !(i in t) || Object.keys(tag).length !== 2) {
      ok = false;
      return null;
    }
    let x = made.get(i);
    if (!x) {
      const parsed = kind === 'ref' ? Ref.parse(t[i]) : new SecretRef(t[i]);
      if (!parsed) {
        ok = false;
        return null;
      }
      x = parsed;
      made.set(i, x);
    }
    return x;
  };
  const walk = (x: unknown): unknown => {
    if (x === null || typeof x !== 'object') return x;
    if (Array.isArray(x)) {
      for (let i = 0; i < x.length; i++) x[i] = walk(x[i]);
      return x;
    }
    const o = x as Record<string, unknown>;
    if (Object.hasOwn(o, MARK)) return tagged(o);
    for (const k of Object.keys(o)) o[k] = walk(o[k]);
    return o;
  };
  const out = walk(v);
  return ok ? out : null;
}
