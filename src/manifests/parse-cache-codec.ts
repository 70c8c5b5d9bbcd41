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

/**
 * Encode `value` as the JSON text of an entry (`{"v":…,"t":[…]}`), or null when it holds something
 * the cache cannot give back exactly. Tags are put in by JSON.stringify's replacer, so the value is
 * never copied (a copy per file was a quarter of what writing the cache allocated).
 */
export function encodeEntry(value: unknown): string | null {
  // Most results hold nothing to tag: V8's own JSON.stringify, without a call back per field,
  // encodes them (the same text the replacer below gives).
  try {
    if (plain(value, 0)) return `{"v":${JSON.stringify(value)},"t":[]}`;
  } catch {
    /* a value that throws when looked at (a getter, a revoked proxy): the replacer refuses it below */
  }
  const ids = new Map<object, number>();
  const texts: string[] = [];
  let ok = true;
  const tags = new Set<unknown>(); // the tags made here (the replacer visits their fields too)
  const tag = (t: Tag): Tag => {
    tags.add(t);
    return t;
  };
  function replacer(this: unknown, key: string, v: unknown): unknown {
    if (tags.has(this)) return v;
    // `this[key]` is the value before its toJSON (a Ref's or a SecretRef's gives a plain object).
    const raw = (this as Record<string, unknown>)[key];
    if (raw instanceof Ref || raw instanceof SecretRef) {
      let i = ids.get(raw);
      if (i === undefined) {
        const text = raw instanceof Ref ? raw.toString() : raw.name;
        // Only what reads back as itself (a Ref's text parses to an equal Ref).
        if (raw instanceof Ref && Ref.parse(text)?.toString() !== text) ok = false;
        i = texts.push(text) - 1;
        ids.set(raw, i);
      }
      return tag({ [MARK]: raw instanceof Ref ? 'ref' : 'secret', i });
    }
    if (key === MARK || key === '__proto__' || raw !== v) ok = false; // raw !== v: another class's toJSON
    if (!ok) return null;
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
    if (v === undefined) return tag({ [MARK]: 'undefined' });
    if (typeof v === 'number') {
      if (!Number.isFinite(v) || Object.is(v, -0)) ok = false;
      return v;
    }
    if (typeof v !== 'object')
      ok = false; // a function, a symbol, a bigint
    else if (!Array.isArray(v)) {
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) ok = false;
    }
    return ok ? v : null;
  }
  let json: string;
  try {
    json = JSON.stringify(value, replacer);
  } catch {
    return null; // a cycle, or a bigint deep inside
  }
  return ok ? `{"v":${json},"t":${JSON.stringify(texts)}}` : null;
}

/** How deep `plain` looks before it leaves the value to the replacer (which refuses a cycle). */
const PLAIN_DEPTH = 256;

/**
 * Whether JSON gives `v` back exactly with no tag: plain objects and arrays, strings,
 * booleans, null and finite numbers other than -0, no `undefined`, no key that is the marker or
 * `__proto__`. Pure.
 */
function plain(v: unknown, depth: number): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0);
  if (typeof v !== 'object' || depth > PLAIN_DEPTH) return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!plain(v[i], depth + 1)) return false; // a hole reads as undefined
    return true;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  const o = v as Record<string, unknown>;
  for (const k in o) if (k === MARK || k === '__proto__' || !plain(o[k], depth + 1)) return false;
  return true;
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
