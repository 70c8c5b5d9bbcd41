import { Ref, SecretRef } from './values.js';

/**
 * A fast parser for the plain subset of YAML that manifests are written in: block mappings and
 * sequences, plain keys, single-line plain / quoted scalars, `|` literal blocks, comments, `---`
 * separators and the `!ref` / `!secret` tags. Anything else (flow collections, anchors, aliases,
 * other tags, folded or multi-line scalars, tabs, duplicate keys, numbers in other notations, keys
 * that are not strings, any character JavaScript trims but YAML does not, …) returns null, and the
 * caller parses the file with the `yaml` library, which also reports errors.
 * Where it returns documents, they equal `yaml`'s (core schema); differential tests hold it to that
 * (test/manifests/fast-yaml.test.ts, the YAML test suite and a property-based test beside it).
 *
 * YAML's white space is the space and the tab (tabs decline) and its line break is \n (\r declines):
 * this parser never uses `trim()` and friends, which also strip U+00A0, U+3000, U+FEFF, VT, FF, …
 */
export interface FastDoc {
  index: number;
  value: unknown;
  line: number;
  col: number;
}

class Fallback extends Error {}
const fallback = (): never => {
  throw new Fallback();
};

interface Line {
  no: number; // 1-based
  indent: number;
  text: string; // without indentation
}

const PLAIN_KEY = /^[A-Za-z0-9_$][A-Za-z0-9_.$/-]*$/;
const INT = /^[-+]?[0-9]+$/;
const FLOAT = /^[-+]?(\.[0-9]+|[0-9]+\.[0-9]*|[0-9]+)([eE][-+]?[0-9]+)?$/;
/** Plain scalars the core schema does not read as strings: `yaml`'s null, bool, int and float tests, all of them. */
const CORE_NOT_STRING =
  /^(?:~|[Nn]ull|NULL|[Tt]rue|TRUE|[Ff]alse|FALSE|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
/**
 * Characters the fast path leaves to `yaml`: tab and CR (YAML white space / line break it does not
 * model), every other character JavaScript counts as white space or a line end (VT, FF, U+0085,
 * U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000, U+FEFF), the C0 and C1
 * controls and DEL (not printable in YAML), U+FFFE, U+FFFF and unpaired surrogates.
 */
const DECLINED_CHAR = /[\0-\x09\x0b-\x1f\x7f-\x9f\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff\ufffe\uffff]|\p{Cs}/u;
/** `yaml` refuses an implicit key whose `:` is more than 1024 characters after its start; stay well below. */
const MAX_KEY_CHARS = 1000;

export function parseFastYaml(src: string): FastDoc[] | null {
  if (DECLINED_CHAR.test(src)) return null;
  try {
    return parseDocs(src.split('\n'));
  } catch (err) {
    if (err instanceof Fallback) return null;
    throw err;
  }
}

function parseDocs(raw: string[]): FastDoc[] {
  const docs: FastDoc[] = [];
  let index = 0;
  let current: Line[] = [];
  let started = false; // a document has begun (content seen, or a --- after the prelude)
  const flush = (): void => {
    const lines = current;
    current = [];
    const first = lines.find((l) => l.indent >= 0);
    if (first) {
      const p = new Parser(lines);
      const value = p.block(first.indent);
      if (p.remaining()) fallback();
      docs.push({ index, value, line: first.no, col: first.indent + 1 });
    }
    index++;
  };
  for (let i = 0; i < raw.length; i++) {
    const text = raw[i];
    if (text === '---' || text.startsWith('--- #')) {
      if (started) flush();
      else current = []; // comments before the first --- are prelude
      started = true;
      continue;
    }
    if (text.startsWith('---') || text.startsWith('...') || text.startsWith('%')) fallback();
    const indent = leadingSpaces(text);
    if (indent === text.length || text.charCodeAt(indent) === 0x23 /* # */) {
      current.push({ no: i + 1, indent: -1, text }); // blank or comment: kept for literal blocks
      continue;
    }
    started = true;
    current.push({ no: i + 1, indent, text: text.slice(indent) });
  }
  if (current.some((l) => l.indent >= 0)) flush();
  return docs;
}

class Parser {
  pos = 0;
  constructor(readonly lines: Line[]) {
    this.skip();
  }

  /** Skip blank and comment lines. */
  private skip(): void {
    while (this.pos < this.lines.length && this.lines[this.pos].indent < 0) this.pos++;
  }

  /** Whether content lines are left (the document did not parse as one node). */
  remaining(): boolean {
    this.skip();
    return this.pos < this.lines.length;
  }

  private peek(): Line | undefined {
    this.skip();
    return this.lines[this.pos];
  }

  block(indent: number): unknown {
    const l = this.peek();
    if (!l || l.indent !== indent) return fallback();
    return l.text === '-' || l.text.startsWith('- ') ? this.sequence(indent) : this.mapping(indent);
  }

  private sequence(indent: number): unknown[] {
    const out: unknown[] = [];
    for (let l = this.peek(); l && l.indent === indent && (l.text === '-' || l.text.startsWith('- ')); l = this.peek()) {
      this.pos++;
      const rest = l.text === '-' ? '' : l.text.slice(2);
      const lead = leadingSpaces(rest);
      const body = rest.slice(lead);
      if (body === '' || body.startsWith('#')) {
        const next = this.peek();
        out.push(next && next.indent > indent ? this.block(next.indent) : null);
      } else if (body.startsWith('- ') || body === '-') {
        fallback(); // nested compact sequences
      } else if (isMappingStart(body)) {
        // `- key: value` starts a mapping whose keys sit at the column of `key`.
        const col = indent + 2 + lead;
        out.push(this.mapping(col, body));
      } else {
        out.push(this.inlineValue(body, indent));
      }
    }
    const after = this.peek();
    if (after && after.indent > indent) fallback();
    return out;
  }

  /** Entries at `indent`; `firstText` is an entry whose line was already taken (`- key: value`). */
  private mapping(indent: number, firstText?: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    let text = firstText;
    for (;;) {
      if (text === undefined) {
        const line = this.peek();
        if (!line || line.indent !== indent || line.text === '-' || line.text.startsWith('- ')) break;
        this.pos++;
        text = line.text;
      }
      const { key, rest } = splitKey(text);
      text = undefined;
      if (Object.hasOwn(out, key) || key === '__proto__') fallback(); // duplicates: yaml reports them
      const value = trimSpaces(rest);
      if (value === '' || value.startsWith('#')) {
        const next = this.peek();
        if (next && next.indent > indent) out[key] = this.block(next.indent);
        else if (next && next.indent === indent && (next.text === '-' || next.text.startsWith('- '))) out[key] = this.sequence(indent);
        else out[key] = null;
      } else {
        out[key] = this.inlineValue(value, indent);
      }
    }
    const after = this.peek();
    if (after && after.indent > indent) fallback();
    return out;
  }

  /** A value on the same line as its key or dash. */
  private inlineValue(v: string, indent: number): unknown {
    if (v === '|' || v === '|-' || v.startsWith('| #') || v.startsWith('|- #')) {
      return this.literal(indent, v[1] === '-' ? 'strip' : 'clip');
    }
    let result: unknown;
    if (v.startsWith('!ref ') || v.startsWith('!secret ')) {
      const isRef = v.startsWith('!ref ');
      const body = stripComment(trimSpaces(v.slice(isRef ? 5 : 8)));
      if (!body || /^["'!&*[{|>]/.test(body)) fallback();
      if (isRef) {
        const ref = Ref.parse(body);
        result = ref ?? fallback();
      } else {
        result = /^[A-Za-z_][A-Za-z0-9_]*$/.test(body) ? new SecretRef(body) : fallback();
      }
    } else {
      result = scalar(v);
    }
    const next = this.peek();
    if (next && next.indent > indent) fallback(); // a multi-line plain scalar or a stray block
    return result;
  }

  /** A `|` block: the following lines more indented than `parent`. */
  private literal(parent: number, chomp: 'clip' | 'strip'): string {
    const start = this.pos;
    let end = start;
    let blockIndent = -1;
    while (end < this.lines.length) {
      const l = this.lines[end];
      if (l.indent < 0) {
        const ind = leadingSpaces(l.text);
        if (ind < l.text.length) {
          // a comment-looking line: content if indented enough, else the block ends
          if (blockIndent < 0 ? ind > parent : ind >= blockIndent) {
            if (blockIndent < 0) blockIndent = ind;
            end++;
            continue;
          }
          break;
        }
        if (l.text.length > 0) fallback(); // whitespace-only lines: leave to yaml
        end++;
        continue;
      }
      if (l.indent <= parent) break;
      if (blockIndent < 0) blockIndent = l.indent;
      if (l.indent < blockIndent) fallback();
      end++;
    }
    // Trailing blank lines are outside the node unless kept; find the last content line.
    let last = end - 1;
    while (last >= start && this.lines[last].indent < 0 && leadingSpaces(this.lines[last].text) === this.lines[last].text.length) last--;
    if (blockIndent < 0) {
      this.pos = end;
      return '';
    }
    const content: string[] = [];
    for (let i = start; i <= last; i++) {
      const l = this.lines[i];
      const full = l.indent < 0 ? l.text : ' '.repeat(l.indent) + l.text;
      content.push(full.length >= blockIndent ? full.slice(blockIndent) : '');
    }
    this.pos = end;
    const text = content.join('\n');
    return chomp === 'strip' ? text : text + '\n';
  }
}

function isMappingStart(t: string): boolean {
  try {
    splitKey(t);
    return true;
  } catch (err) {
    if (err instanceof Fallback) return false;
    throw err;
  }
}

function splitKey(t: string): { key: string; rest: string } {
  let key: string;
  let i: number;
  if (t[0] === '"' || t[0] === "'") {
    const q = readQuoted(t);
    key = q.value;
    i = q.end;
  } else {
    i = t.indexOf(':');
    if (i <= 0) fallback();
    key = t.slice(0, i);
    // Only keys the core schema reads as strings: `0x10:` is the integer 16, `true:` a boolean, …
    if (!PLAIN_KEY.test(key) || CORE_NOT_STRING.test(key)) fallback();
  }
  if (i > MAX_KEY_CHARS || t[i] !== ':' || (i + 1 < t.length && t[i + 1] !== ' ')) fallback();
  return { key, rest: t.slice(i + 1) };
}

function readQuoted(t: string): { value: string; end: number } {
  if (t[0] === "'") {
    let out = '';
    for (let i = 1; i < t.length; i++) {
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
    return fallback();
  }
  for (let i = 1; i < t.length; i++) {
    if (t[i] === '\\') {
      i++;
      continue;
    }
    if (t[i] === '"') {
      const body = t.slice(0, i + 1);
      if (/\\[^"\\/bfnrtu]/.test(body)) fallback(); // YAML-only escapes
      try {
        return { value: JSON.parse(body) as string, end: i + 1 };
      } catch {
        return fallback();
      }
    }
  }
  return fallback();
}

/** Cut a ` #` comment off a plain scalar, and the spaces before it. */
function stripComment(v: string): string {
  const i = v.indexOf(' #');
  return trimSpaces(i >= 0 ? v.slice(0, i) : v);
}

function leadingSpaces(s: string): number {
  let i = 0;
  while (s.charCodeAt(i) === 0x20) i++;
  return i;
}

/** Strip spaces (only U+0020: YAML's other white space, the tab, is declined before parsing). */
function trimSpaces(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && s.charCodeAt(a) === 0x20) a++;
  while (b > a && s.charCodeAt(b - 1) === 0x20) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** A single-line scalar in the core schema, or a fallback. */
function scalar(v: string): unknown {
  if (v[0] === '"' || v[0] === "'") {
    const q = readQuoted(v);
    // After the closing quote: nothing, or a comment after at least one space (`"v"# c` is an error).
    const gap = leadingSpaces(v.slice(q.end));
    const next = q.end + gap;
    if (next < v.length && (gap === 0 || v[next] !== '#')) fallback();
    return q.value;
  }
  if (/^[[\]{}&*!|>%@`?,]/.test(v) || v.startsWith('- ') || v === '-') fallback();
  const s = stripComment(v);
  if (s.includes(': ') || s.endsWith(':') || s.includes(' #')) fallback();
  if (!CORE_NOT_STRING.test(s)) return s;
  if (s === '~' || s === 'null' || s === 'Null' || s === 'NULL') return null;
  if (s === 'true' || s === 'True' || s === 'TRUE') return true;
  if (s === 'false' || s === 'False' || s === 'FALSE') return false;
  if (INT.test(s)) {
    const n = Number(s);
    return Number.isSafeInteger(n) ? n : fallback();
  }
  if (FLOAT.test(s)) return Number(s);
  return fallback(); // other notations: 0x, 0o, .inf, .nan
}
