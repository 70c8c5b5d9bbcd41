/**
 * Scalars and keys of the fast YAML path (see fast-yaml.ts): what it reads exactly as `yaml` does
 * (core schema), and `NO` for anything it leaves to `yaml`. Declining is a return value, never an
 * exception: most files that decline, decline on a common construct, and a thrown error (with its
 * stack trace) per such file cost more than the parse.
 */

/** The fast path's answer for a text it does not model: the caller parses it with `yaml`. */
export const NO: unique symbol = Symbol('declined');
export type No = typeof NO;

const PLAIN_KEY = /^[A-Za-z0-9_$][A-Za-z0-9_.$/-]*$/;
const INT = /^[-+]?[0-9]+$/;
const FLOAT = /^[-+]?(\.[0-9]+|[0-9]+\.[0-9]*|[0-9]+)([eE][-+]?[0-9]+)?$/;
/** Plain scalars the core schema does not read as strings: `yaml`'s null, bool, int and float tests, all of them. */
export const CORE_NOT_STRING =
  /^(?:~|[Nn]ull|NULL|[Tt]rue|TRUE|[Ff]alse|FALSE|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
/** A double-quoted scalar whose body is a JSON string (JSON.parse takes it without throwing). */
const JSON_STRING = /^"(?:[^"\\\0-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"$/;
/** `yaml` refuses an implicit key whose `:` is more than 1024 characters after its start; stay well below. */
const MAX_KEY_CHARS = 1000;

export function leadingSpaces(s: string, from = 0): number {
  let i = from;
  while (s.charCodeAt(i) === 0x20) i++;
  return i - from;
}

/** Strip spaces (only U+0020: YAML's other white space, the tab, is declined before parsing). */
export function trimSpaces(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && s.charCodeAt(a) === 0x20) a++;
  while (b > a && s.charCodeAt(b - 1) === 0x20) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** Cut a ` #` comment off a plain scalar, and the spaces before it. */
export function stripComment(v: string): string {
  const i = v.indexOf(' #');
  return trimSpaces(i >= 0 ? v.slice(0, i) : v);
}

/** A quoted scalar starting at `t[from]` (single or double quote) on one line: its value and the index after it. */
export function readQuoted(t: string, from = 0): { value: string; end: number } | No {
  if (t[from] === "'") {
    let out = '';
    for (let i = from + 1; i < t.length; i++) {
      if (t[i] === "'") {
        if (t[i + 1] === "'") {
          out += "'";
          i++;
          continue;
        }
        return { value: out, end: i + 1 };
      }
      out += t[i];
    }
    return NO;
  }
  for (let i = from + 1; i < t.length; i++) {
    if (t[i] === '\\') {
      i++;
      continue;
    }
    if (t[i] === '"') {
      const body = t.slice(from, i + 1);
      // Only JSON's escapes (YAML's others, `\x41`, `\e`, …, go to yaml).
      return JSON_STRING.test(body) ? { value: JSON.parse(body) as string, end: i + 1 } : NO;
    }
  }
  return NO;
}

/**
 * `s` as a string of its own. V8 makes a slice of 13 or more characters a view into the string it
 * was cut from: a value kept from a manifest would keep the whole file's text alive (13 MB for
 * 10,000 manifests). Joining two pieces of it builds a flat copy (a slice of a concatenation is
 * still a view, of a flattened copy: 72 bytes for a 20-character name instead of 40).
 */
export function ownString(s: string): string {
  return s.length < 13 ? s : [s.slice(0, 1), s.slice(1)].join('');
}

/** A plain key the core schema reads as a string (`0x10:` is the integer 16, `true:` a boolean, …). */
export function isPlainStringKey(key: string): boolean {
  return PLAIN_KEY.test(key) && !CORE_NOT_STRING.test(key);
}

/** A block mapping entry's key and what follows its `: `. */
export function splitKey(t: string): { key: string; rest: string } | No {
  let key: string;
  let i: number;
  if (t[0] === '"' || t[0] === "'") {
    const q = readQuoted(t);
    if (q === NO) return NO;
    key = q.value;
    i = q.end;
  } else {
    i = t.indexOf(':');
    if (i <= 0) return NO;
    key = t.slice(0, i);
    if (!isPlainStringKey(key)) return NO;
  }
  if (i > MAX_KEY_CHARS || t[i] !== ':' || (i + 1 < t.length && t[i + 1] !== ' ')) return NO;
  return { key, rest: t.slice(i + 1) };
}

/** A plain scalar (already cut of comments and spaces) in the core schema. */
export function plainValue(s: string): unknown {
  if (!CORE_NOT_STRING.test(s)) return ownString(s);
  if (s === '~' || s === 'null' || s === 'Null' || s === 'NULL') return null;
  if (s === 'true' || s === 'True' || s === 'TRUE') return true;
  if (s === 'false' || s === 'False' || s === 'FALSE') return false;
  if (INT.test(s)) {
    const n = Number(s);
    return Number.isSafeInteger(n) ? n : NO;
  }
  if (FLOAT.test(s)) return Number(s);
  return NO; // other notations: 0x, 0o, .inf, .nan
}

/** A single-line scalar of block context (a value after `key: ` or `- `), or NO. */
export function scalar(v: string): unknown {
  if (v[0] === '"' || v[0] === "'") {
    const q = readQuoted(v);
    if (q === NO) return NO;
    // After the closing quote: nothing, or a comment after at least one space (`"v"# c` is an error).
    const gap = leadingSpaces(v, q.end);
    const next = q.end + gap;
    if (next < v.length && (gap === 0 || v[next] !== '#')) return NO;
    return q.value;
  }
  if (/^[[\]{}&*!|>%@`?,]/.test(v) || v.startsWith('- ') || v === '-') return NO;
  const s = stripComment(v);
  if (s.includes(': ') || s.endsWith(':') || s.includes(' #')) return NO;
  return plainValue(s);
}
