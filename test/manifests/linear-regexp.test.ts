import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ecmaToRe2 } from '../../src/manifests/ecma-to-re2.js';
import { linearRegExp, PatternRefused } from '../../src/manifests/linear-regexp.js';

/** What RegExp answers, for a pattern and input small enough that backtracking cannot matter. */
const ecma = (p: string, s: string): boolean => new RegExp(p, 'u').test(s);
const linear = (p: string, s: string): boolean => linearRegExp(p, 'u').test(s);

const isEcma = (p: string): boolean => {
  try {
    new RegExp(p, 'u');
    return true;
  } catch {
    return false;
  }
};

const refusal = (p: string): string => {
  try {
    linearRegExp(p, 'u');
  } catch (err) {
    expect(err).toBeInstanceOf(PatternRefused);
    return (err as Error).message;
  }
  throw new Error(`${p} was compiled`);
};

// Characters where ECMAScript and RE2 read the same escape or class differently.
const TRICKY = ['a', 'b', 'Z', '1', '_', '-', ']', ' ', '\t', '\v', '\n', '\r', '\u00a0', '\u2028', '\u3000', '\ufeff', '\u0085', '\b', 'é', '😀'];

const atom = fc.constantFrom(
  'a',
  'b',
  '1',
  '.',
  '\\s',
  '\\S',
  '\\d',
  '\\w',
  '\\W',
  '\\b',
  '\\u0061',
  '\\u00a0',
  '\\uD83D\\uDE00',
  '\\u{1F600}',
  '[\\s]',
  '[^\\s]',
  '[a\\S]',
  '[^\\S1]',
  '[\\b]',
  '[.]',
  '[[:a:]',
  '[]',
  '[^]',
  '[a-z]',
  '[^a-z]',
  '\\]',
  '\\.',
  '\\p{L}',
  '\\P{L}',
);
const piece = fc.tuple(atom, fc.constantFrom('', '*', '+', '?', '{2}', '{0,2}', '*?')).map(([a, q]) => a + q);
const branch = fc.array(piece, { minLength: 0, maxLength: 4 }).map((ps) => ps.join(''));
const pattern = fc
  .tuple(fc.constantFrom('', '^'), fc.array(branch, { minLength: 1, maxLength: 3 }), fc.constantFrom('', '$'))
  .map(([start, bs, end]) => `${start}(?:${bs.join('|')})${end}`);
const input = fc.array(fc.constantFrom(...TRICKY), { maxLength: 6 }).map((cs) => cs.join(''));

describe('the linear-time pattern engine', () => {
  it('runs the catastrophic pattern of issue 15 at once, by code point', () => {
    expect(linear('^(a+)+$', `${'a'.repeat(40)}!`)).toBe(false);
    expect(linear('^(a+)+$', 'a'.repeat(40))).toBe(true);
    expect(linear('b+', 'abbc')).toBe(true);
    expect(linear('^.$', '😀')).toBe(true);
  });

  it('answers as ECMAScript does for patterns both can run (property: random patterns and inputs)', () => {
    fc.assert(
      fc.property(pattern, fc.array(input, { minLength: 1, maxLength: 5 }), (p, inputs) => {
        if (!isEcma(p)) return void expect(refusal(p)).toContain('is not a valid regular expression'); // a quantified \b, say
        for (const s of inputs) expect(linear(p, s), `${JSON.stringify(p)} on ${JSON.stringify(s)}`).toBe(ecma(p, s));
      }),
      { numRuns: 400 },
    );
  });

  it('rewrites only what the two read differently, and leaves an escaped backslash alone', () => {
    expect(ecmaToRe2('^[a-z0-9.-]+/v[0-9]+$')).toBe('^[a-z0-9.-]+/v[0-9]+$');
    expect(ecmaToRe2('\\\\u0041\\\\s')).toBe('\\\\u0041\\\\s');
    expect(ecmaToRe2('\\u0041\\u{1F600}\\uD83D\\uDE00')).toBe('\\x{41}\\x{1f600}\\x{1f600}');
    expect(ecmaToRe2('a.b')).toBe('a[^\\n\\r\\x{2028}\\x{2029}]b');
    expect(ecmaToRe2('[[:a:]')).toBe('[\\[:a:]');
    expect(linear('^[[:a:]$', ':')).toBe(true);
  });

  it('one compiled pattern answers each string for itself, asked again and past its memo of answers', () => {
    const re = linearRegExp('^0?[0-7]{3}$', 'u');
    for (let round = 0; round < 2; round++)
      for (let i = 0; i < 3000; i++) {
        const s = i.toString(8).padStart(4, '0');
        expect(re.test(s), s).toBe(/^0?[0-7]{3}$/u.test(s));
        expect(re.test(`${s}8`)).toBe(false);
      }
    expect(re.test('0'.repeat(200))).toBe(false);
    expect(re.test('0644')).toBe(true);
  });

  it('names each compiled pattern by itself (ajv shares compiled patterns by that name)', () => {
    expect(String(linearRegExp('^a$', 'u'))).not.toBe(String(linearRegExp('^b$', 'u')));
  });

  it('refuses what cannot run in linear time, and what is not a regular expression, saying what', () => {
    expect(refusal('^(a)\\1$')).toBe(
      '"^(a)\\\\1$" uses a backreference (\\1), which cannot run in linear time; patterns run on RE2 (no backreferences or lookaround)',
    );
    expect(refusal('(?<n>a)\\k<n>')).toMatch(/ uses a backreference \(\\k\), /);
    expect(refusal('^(?=a)')).toMatch(/ uses lookahead \(\(\?=\), /);
    expect(refusal('(?<!a)b')).toMatch(/ uses lookbehind \(\(\?<!\), /);
    expect(refusal('^a{2000}$')).toBe('"^a{2000}$" cannot run on RE2, the linear-time engine: invalid repeat count `{2000}`');
    expect(refusal('(a')).toMatch(/^"\(a" is not a valid regular expression: .*Unterminated group/);
  });
});
