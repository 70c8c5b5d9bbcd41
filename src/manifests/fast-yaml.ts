import { Ref, SecretRef } from './values.js';
import { leadingSpaces, NO, ownString, scalar, splitKey, stripComment, trimSpaces, type No } from './fast-yaml-scalar.js';
import { flowValue } from './fast-yaml-flow.js';
import { LIMITS } from './limits.js';

/**
 * A fast parser for the plain subset of YAML that manifests are written in: block mappings and
 * sequences, plain keys, single-line plain / quoted scalars, single-line flow collections
 * (fast-yaml-flow.ts), `|` literal and `>` folded blocks (not more-indented lines), comments, `---` separators, the `!ref` / `!secret`
 * tags, and anchors on values with aliases to them (an alias is the anchored value itself, as `yaml`'s
 * `toJS` gives it; an anchored value holds no alias, and a document at most LIMITS.maxAliasCount
 * aliases, so a document stays as large as its text). Anything else (multi-line flow collections,
 * anchors on keys, other tags, multi-line plain or quoted scalars, tabs, duplicate keys, numbers in other notations, keys
 * that are not strings, any character JavaScript trims but YAML does not, …) returns null, and the
 * caller parses the file with the `yaml` library, which also reports errors. Declining is a return
 * value (`NO` inside), not an exception: a thrown error per declined file cost more than its parse.
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

interface Line {
  no: number; // 1-based
  /** Where the line starts in the source. */
  at: number;
  indent: number;
  text: string; // without indentation
}

/**
 * Characters the fast path leaves to `yaml`: tab and CR (YAML white space / line break it does not
 * model), every other character JavaScript counts as white space or a line end (VT, FF, U+0085,
 * U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000, U+FEFF), the C0 and C1
 * controls and DEL (not printable in YAML), U+FFFE, U+FFFF and unpaired surrogates.
 */
const DECLINED_CHAR = /[\0-\x09\x0b-\x1f\x7f-\x9f\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff\ufffe\uffff]|\p{Cs}/u;

export function parseFastYaml(src: string): FastDoc[] | null {
  if (DECLINED_CHAR.test(src)) return null;
  const docs = parseDocs(src, src.split('\n'));
  return docs === NO ? null : docs;
}

function parseDocs(src: string, raw: string[]): FastDoc[] | No {
  const docs: FastDoc[] = [];
  let index = 0;
  let current: Line[] = [];
  let started = false; // a document has begun (content seen, or a --- after the prelude)
  const flush = (): boolean => {
    const lines = current;
    current = [];
    const first = lines.find((l) => l.indent >= 0);
    if (first) {
      const p = new Parser(src, lines);
      const value = p.block(first.indent);
      if (value === NO || p.remaining()) return false;
      docs.push({ index, value, line: first.no, col: first.indent + 1 });
    }
    index++;
    return true;
  };
  for (let i = 0, next = 0; i < raw.length; i++) {
    const text = raw[i];
    const at = next;
    next += text.length + 1;
    if (text === '---' || text.startsWith('--- #')) {
      if (started && !flush()) return NO;
      if (!started) current = []; // comments before the first --- are prelude
      started = true;
      continue;
    }
    if (text.startsWith('---') || text.startsWith('...') || text.startsWith('%')) return NO;
    const indent = leadingSpaces(text);
    if (indent === text.length || text.charCodeAt(indent) === 0x23 /* # */) {
      current.push({ no: i + 1, at, indent: -1, text }); // blank or comment: kept for literal blocks
      continue;
    }
    started = true;
    current.push({ no: i + 1, at, indent, text: text.slice(indent) });
  }
  if (current.some((l) => l.indent >= 0) && !flush()) return NO;
  return docs;
}

class Parser {
  pos = 0;
  /** The document's anchored values, and how many aliases it used. */
  private anchors = new Map<string, unknown>();
  private aliases = 0;
  constructor(
    private readonly src: string,
    readonly lines: Line[],
  ) {
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
    if (!l || l.indent !== indent) return NO;
    return isDash(l.text) ? this.sequence(indent) : this.mapping(indent);
  }

  private sequence(indent: number): unknown[] | No {
    const out: unknown[] = [];
    for (let l = this.peek(); l && l.indent === indent && isDash(l.text); l = this.peek()) {
      this.pos++;
      const rest = l.text === '-' ? '' : l.text.slice(2);
      const lead = leadingSpaces(rest);
      const body = rest.slice(lead);
      let item: unknown;
      if (body === '' || body.startsWith('#')) {
        const next = this.peek();
        item = next && next.indent > indent ? this.block(next.indent) : null;
      } else if (isDash(body)) {
        return NO; // nested compact sequences
      } else if (splitKey(body) !== NO) {
        // `- key: value` starts a mapping whose keys sit at the column of `key`.
        item = this.mapping(indent + 2 + lead, body);
      } else {
        item = this.inlineValue(body, indent);
      }
      if (item === NO) return NO;
      out.push(item);
    }
    const after = this.peek();
    if (after && after.indent > indent) return NO;
    return out;
  }

  /** Entries at `indent`; `firstText` is an entry whose line was already taken (`- key: value`). */
  private mapping(indent: number, firstText?: string): Record<string, unknown> | No {
    const out: Record<string, unknown> = {};
    let text = firstText;
    for (;;) {
      if (text === undefined) {
        const line = this.peek();
        if (!line || line.indent !== indent || isDash(line.text)) break;
        this.pos++;
        text = line.text;
      }
      const split = splitKey(text);
      text = undefined;
      if (split === NO) return NO;
      const { key, rest } = split;
      if (Object.hasOwn(out, key) || key === '__proto__') return NO; // duplicates: yaml reports them
      const value = trimSpaces(rest);
      let v: unknown;
      if (value === '' || value.startsWith('#')) {
        const next = this.peek();
        if (next && next.indent > indent) v = this.block(next.indent);
        else if (next && next.indent === indent && isDash(next.text)) v = this.sequence(indent);
        else v = null;
      } else {
        v = this.inlineValue(value, indent);
      }
      if (v === NO) return NO;
      out[key] = v;
    }
    const after = this.peek();
    if (after && after.indent > indent) return NO;
    return out;
  }

  /** A value on the same line as its key or dash. */
  private inlineValue(v: string, indent: number): unknown {
    if (v[0] === '&') return this.anchored(v, indent);
    if (v[0] === '*') return this.alias(v, indent);
    if (/^[|>]-?(?:$| #)/.test(v)) return this.blockScalar(indent, v[1] === '-' ? 'strip' : 'clip', v[0] === '>');
    let result: unknown;
    if (v.startsWith('!ref ') || v.startsWith('!secret ')) {
      const isRef = v.startsWith('!ref ');
      const body = ownString(stripComment(trimSpaces(v.slice(isRef ? 5 : 8))));
      if (!body || /^["'!&*[{|>]/.test(body)) return NO;
      if (isRef) result = Ref.parse(body) ?? NO;
      else result = /^[A-Za-z_][A-Za-z0-9_]*$/.test(body) ? new SecretRef(body) : NO;
    } else if (v[0] === '[' || v[0] === '{') {
      result = flowValue(v);
    } else {
      result = scalar(v);
    }
    const next = this.peek();
    if (next && next.indent > indent) return NO; // a multi-line scalar or collection, or a stray block
    return result;
  }

  /**
   * `&name value`, or `&name` with its block collection on the lines below. Declined: a name other
   * than letters, digits, `_` and `-`, one already used in the document, a property after it (tag,
   * another anchor), an implicit key after it (`&a k: v` anchors the key), and an anchored value that
   * holds an alias.
   */
  private anchored(v: string, indent: number): unknown {
    const m = /^&([A-Za-z0-9_-]+)(?: +(.*))?$/.exec(v);
    if (!m || this.anchors.has(m[1])) return NO;
    const rest = m[2] ?? '';
    const aliases = this.aliases;
    let value: unknown;
    if (rest === '' || rest[0] === '#') {
      const next = this.peek();
      value = next && next.indent > indent ? this.block(next.indent) : NO;
    } else if (/^[&*!]/.test(rest) || splitKey(rest) !== NO) {
      return NO;
    } else {
      value = this.inlineValue(rest, indent);
    }
    // (Again after the value: the same name inside it is a redefinition too.)
    if (value === NO || this.aliases !== aliases || this.anchors.has(m[1])) return NO;
    this.anchors.set(m[1], value);
    return value;
  }

  /** `*name`: the value anchored earlier in the document. */
  private alias(v: string, indent: number): unknown {
    const m = /^\*([A-Za-z0-9_-]+)(?: +#.*)?$/.exec(v);
    if (!m || !this.anchors.has(m[1]) || ++this.aliases > LIMITS.maxAliasCount) return NO;
    const next = this.peek();
    if (next && next.indent > indent) return NO;
    return this.anchors.get(m[1]);
  }

  /** A `|` or `>` block: the following lines more indented than `parent`. */
  private blockScalar(parent: number, chomp: 'clip' | 'strip', folded: boolean): string | No {
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
        if (l.text.length > 0) return NO; // whitespace-only lines: leave to yaml
        end++;
        continue;
      }
      if (l.indent <= parent) break;
      if (blockIndent < 0) blockIndent = l.indent;
      if (l.indent < blockIndent) return NO;
      end++;
    }
    // Trailing blank lines are outside the node unless kept; find the last content line.
    let last = end - 1;
    while (last >= start && this.lines[last].indent < 0 && leadingSpaces(this.lines[last].text) === this.lines[last].text.length) last--;
    if (blockIndent < 0) {
      this.pos = end;
      return '';
    }
    // Every line from start to last is empty or starts with blockIndent spaces: the block is its
    // stretch of the source with those spaces taken off each line (no string per line).
    const to = this.lines[last];
    const stretch = this.src.slice(this.lines[start].at, to.at + Math.max(to.indent, 0) + to.text.length);
    const unindented = stretch.replace(indentation(blockIndent), '');
    this.pos = end;
    const text = folded ? fold(unindented.split('\n')) : unindented;
    if (text === NO) return NO;
    return chomp === 'strip' ? text : text + '\n';
  }
}

/**
 * The lines of a `>` block folded: a line break between two lines becomes a space, and n empty
 * lines between them n line breaks. More-indented lines (kept as they are) and leading empty lines
 * are left to `yaml`.
 */
function fold(lines: string[]): string | No {
  let out = '';
  let empty = 0;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l === '') {
      empty++;
      continue;
    }
    if (l[0] === ' ' || (i === 0 && empty > 0) || (out === '' && empty > 0)) return NO;
    out += out === '' ? l : (empty ? '\n'.repeat(empty) : ' ') + l;
    empty = 0;
  }
  return out;
}

const INDENTATIONS: RegExp[] = [];

/** `n` spaces at the start of any line. */
function indentation(n: number): RegExp {
  INDENTATIONS[n] ??= new RegExp(`^ {${n}}`, 'gm');
  return INDENTATIONS[n];
}

/** A block sequence entry's line: `-` alone or `- ` and more. */
function isDash(text: string): boolean {
  return text === '-' || text.startsWith('- ');
}
