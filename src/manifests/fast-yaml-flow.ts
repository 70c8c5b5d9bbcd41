/**
 * Flow collections on one line for the fast YAML path: `[a, "b", 3]`, `{team: web, env: prod}`,
 * nested. The subset: entries separated by `, `-like commas, plain scalars without any indicator
 * character (`:`, `#`, quotes, brackets, …) inside, quoted scalars, `key: value` pairs in maps with
 * string keys. Anything else (a trailing or empty entry, `[a: b]`, a key without value, tags,
 * anchors, a collection over several lines, …) is NO, and the file goes to `yaml`.
 */
import { isPlainStringKey, leadingSpaces, NO, plainValue, readQuoted, type No } from './fast-yaml-scalar.js';

/** Nesting beyond this declines (`yaml` then applies the loader's depth limit and reports it). */
const MAX_FLOW_DEPTH = 32;
/** `yaml` refuses an implicit key longer than 1024 characters; stay well below. */
const MAX_FLOW_KEY_CHARS = 1000;
/** Characters that end or may change the meaning of a plain scalar in flow context. */
const FLOW_INDICATOR = /[,[\]{}#:"'&*!|>%@`?]/;

interface Cursor {
  text: string;
  at: number;
}

/**
 * A flow collection starting at `text[0]`, followed by nothing, or by spaces and a comment.
 * Returns its value, or NO.
 */
export function flowValue(text: string): unknown {
  const c: Cursor = { text, at: 0 };
  const value = collection(c, 0);
  if (value === NO) return NO;
  const gap = leadingSpaces(text, c.at);
  const next = c.at + gap;
  if (next < text.length && (gap === 0 || text[next] !== '#')) return NO;
  return value;
}

function collection(c: Cursor, depth: number): unknown[] | Record<string, unknown> | No {
  if (depth >= MAX_FLOW_DEPTH) return NO;
  const open = c.text[c.at];
  const close = open === '[' ? ']' : '}';
  c.at++;
  skipSpaces(c);
  const seq: unknown[] = [];
  const map: Record<string, unknown> = {};
  if (c.text[c.at] === close) {
    c.at++;
    return open === '[' ? seq : map;
  }
  for (;;) {
    if (open === '[') {
      const v = item(c, depth);
      if (v === NO) return NO;
      seq.push(v);
    } else {
      const key = mapKey(c);
      if (key === NO || Object.hasOwn(map, key) || key === '__proto__') return NO; // duplicates: yaml reports them
      skipSpaces(c);
      const v = item(c, depth);
      if (v === NO) return NO;
      map[key] = v;
    }
    skipSpaces(c);
    const ch = c.text[c.at];
    if (ch === close) {
      c.at++;
      return open === '[' ? seq : map;
    }
    if (ch !== ',') return NO;
    c.at++;
    // At least one space after a comma, and then an entry (a trailing comma goes to yaml).
    if (c.text[c.at] !== ' ') return NO;
    skipSpaces(c);
    if (c.text[c.at] === close || c.text[c.at] === ',') return NO;
  }
}

/** A map key and its `:` and the space after it. */
function mapKey(c: Cursor): string | No {
  let key: string;
  const start = c.at;
  const ch = c.text[c.at];
  if (ch === '"' || ch === "'") {
    const q = readQuoted(c.text, c.at);
    if (q === NO) return NO;
    key = q.value;
    c.at = q.end;
  } else {
    const end = c.text.indexOf(':', c.at);
    if (end < 0) return NO;
    key = c.text.slice(c.at, end);
    if (key.length > MAX_FLOW_KEY_CHARS || !isPlainStringKey(key)) return NO;
    c.at = end;
  }
  if (c.at - start > MAX_FLOW_KEY_CHARS || c.text[c.at] !== ':' || c.text[c.at + 1] !== ' ') return NO;
  c.at += 2;
  return key;
}

/** One entry's value: a nested collection, a quoted or a plain scalar. */
function item(c: Cursor, depth: number): unknown {
  const ch = c.text[c.at];
  if (ch === '[' || ch === '{') return collection(c, depth + 1);
  if (ch === '"' || ch === "'") {
    const q = readQuoted(c.text, c.at);
    if (q === NO) return NO;
    c.at = q.end;
    return q.value;
  }
  // A plain scalar runs to the next `,`, `]` or `}`; any other indicator inside declines.
  let end = c.at;
  while (end < c.text.length && !FLOW_INDICATOR.test(c.text[end])) end++;
  const ended = c.text[end];
  if (ended !== ',' && ended !== ']' && ended !== '}') return NO;
  let last = end;
  while (last > c.at && c.text.charCodeAt(last - 1) === 0x20) last--;
  const s = c.text.slice(c.at, last);
  // Empty, or a leading `-` that is not part of a number or word (`- x` is a block entry).
  if (s === '' || s === '-' || s.startsWith('- ')) return NO;
  c.at = end;
  return plainValue(s);
}

function skipSpaces(c: Cursor): void {
  c.at += leadingSpaces(c.text, c.at);
}
