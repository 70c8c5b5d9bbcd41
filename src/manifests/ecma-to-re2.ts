/** An ECMAScript pattern (JSON Schema's dialect) rewritten in RE2's syntax where the two read the same text differently. */

/** ECMAScript's `\s`: WhiteSpace and LineTerminator (Unicode Zs, TAB-CR, NBSP, LS, PS, BOM), as code point ranges. */
const SPACE: [number, number][] = [
  [0x09, 0x0d],
  [0x20, 0x20],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x2028, 0x2029],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
  [0xfeff, 0xfeff],
];

function complement(ranges: [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  let next = 0;
  for (const [lo, hi] of ranges) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= 0x10ffff) out.push([next, 0x10ffff]);
  return out;
}

const hex = (n: number): string => `\\x{${n.toString(16)}}`;
const items = (ranges: [number, number][]): string => ranges.map(([lo, hi]) => (lo === hi ? hex(lo) : `${hex(lo)}-${hex(hi)}`)).join('');

const S_ITEMS = items(SPACE);
const NOT_S_ITEMS = items(complement(SPACE));
/** ECMAScript's `.` without the `s` flag: anything but LF, CR, LS and PS. */
const DOT = '[^\\n\\r\\x{2028}\\x{2029}]';
const EMPTY_CLASS = '[^\\x{0}-\\x{10ffff}]';
const ANY_CLASS = '[\\x{0}-\\x{10ffff}]';
const UNICODE_ESCAPE = /^u(?:([0-9A-Fa-f]{4})|\{([0-9A-Fa-f]{1,6})\})/;

/**
 * Rewrite a pattern that is valid ECMAScript (with the `u` flag) so that RE2 matches what
 * ECMAScript would: `\s` and `\S` as ECMAScript's Unicode sets (RE2's are ASCII), `.` without
 * CR, LS and PS (RE2's excludes LF only), `\uHHHH` (a surrogate pair as one code point) and
 * `\u{H…}` as `\x{H…}`, `[\b]` as backspace, `[` inside a class as a literal, and the classes `[]`
 * (nothing) and `[^]` (anything), which RE2 reads as the start of a class holding `]`. Everything
 * else is written alike in both and left as is; what RE2 lacks (backreferences, lookaround) stays
 * for RE2 to refuse. Pure.
 */
export function ecmaToRe2(pattern: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const n = pattern[i + 1] ?? '';
      const u = n === 'u' ? UNICODE_ESCAPE.exec(pattern.slice(i + 1, i + 12)) : null;
      if (u) {
        let cp = Number.parseInt(u[1] ?? u[2], 16);
        i += u[0].length;
        const low = cp >= 0xd800 && cp <= 0xdbff ? /^\\u(d[c-f][0-9a-f]{2})/i.exec(pattern.slice(i + 1, i + 7)) : null;
        if (low) {
          cp = 0x10000 + ((cp - 0xd800) << 10) + (Number.parseInt(low[1], 16) - 0xdc00); // a surrogate pair is one code point
          i += low[0].length;
        }
        out += hex(cp);
      } else {
        if (n === 's') out += inClass ? S_ITEMS : `[${S_ITEMS}]`;
        else if (n === 'S') out += inClass ? NOT_S_ITEMS : `[${NOT_S_ITEMS}]`;
        else if (n === 'b' && inClass)
          out += hex(0x08); // backspace in a class; RE2 has no such escape
        else out += c + n;
        i++;
      }
    } else if (inClass) {
      if (c === ']') inClass = false;
      out += c === '[' ? '\\[' : c; // a literal in ECMAScript; RE2 would read `[:alpha:]` as a POSIX class
    } else if (c === '[') {
      const negated = pattern[i + 1] === '^';
      const start = negated ? i + 2 : i + 1;
      if (pattern[start] === ']') {
        out += negated ? ANY_CLASS : EMPTY_CLASS;
        i = start;
      } else {
        out += negated ? '[^' : '[';
        i = start - 1;
        inClass = true;
      }
    } else {
      out += c === '.' ? DOT : c;
    }
  }
  return out;
}
