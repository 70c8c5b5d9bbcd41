import fc from 'fast-check';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { ident, literal, qualified } from '../../src/providers/postgres/quote.js';

/**
 * `ident` and `literal` are written without pg (so loading the provider never loads it) and must
 * give exactly pg's `escapeIdentifier` / `escapeLiteral` output, byte for byte.
 */
const tricky = [
  '',
  'plain',
  'Mixed Case',
  '"',
  '""',
  'a"b',
  '"quoted"',
  "'",
  "''",
  "it's",
  '\\',
  '\\\\',
  'a\\b',
  "\\'",
  "'\\",
  "O'Reilly\\n",
  '\\x41',
  "E'x'",
  ' E',
  '$$',
  '$tag$ body $tag$',
  '; DROP TABLE users; --',
  "'); DROP TABLE users; --",
  '/* comment */',
  'tab\there',
  'new\nline',
  'cr\r\n',
  '\u0000',
  'ünïcødé',
  'emoji 😀 "and" \'quotes\'',
  '\uD800',
  'ſ',
  '\u2028',
];

describe('postgres quoting matches pg', () => {
  it('ident is pg.escapeIdentifier on tricky names', () => {
    for (const s of tricky) expect(ident(s), JSON.stringify(s)).toBe(pg.escapeIdentifier(s));
  });

  it('literal is pg.escapeLiteral on tricky values (backslashes give the E-form with pg leading space)', () => {
    for (const s of tricky) expect(literal(s), JSON.stringify(s)).toBe(pg.escapeLiteral(s));
    expect(literal("a\\'b")).toBe(" E'a\\\\''b'");
    expect(literal("it's")).toBe("'it''s'");
  });

  it('both match pg on generated strings rich in quotes and backslashes', () => {
    const rich = fc.string({ unit: fc.constantFrom("'", '"', '\\', 'E', ' ', 'a', '\n', 'é', '😀'), maxLength: 40 });
    fc.assert(
      fc.property(fc.oneof(rich, fc.string({ unit: 'binary' })), (s) => {
        expect(ident(s)).toBe(pg.escapeIdentifier(s));
        expect(literal(s)).toBe(pg.escapeLiteral(s));
      }),
      { numRuns: 2000 },
    );
  });

  it('qualified joins two identifiers', () => {
    expect(qualified('my"schema', 'tbl')).toBe(`${pg.escapeIdentifier('my"schema')}.${pg.escapeIdentifier('tbl')}`);
  });
});
