/** ajv-formats' formats with a bounded cost: the one whose regular expression is polynomial in its input gets a length limit. */
import type { Ajv } from 'ajv';

/**
 * The longest value `format: url` accepts. ajv-formats' `url` expression backtracks quadratically
 * (measured: 176 kB took 3.6 s, so a 1 MB manifest value would take minutes); at this length it
 * takes about a millisecond. Browsers and servers commonly cap URLs near 2,000 characters too.
 */
export const URL_FORMAT_MAX_LENGTH = 2048;

/**
 * Replace `url` (added by ajv-formats) with the same check behind the length limit. Every other
 * expression of ajv-formats 3.0.1, the ones inside its date, time, uri and byte checks included,
 * was found linear or safe by recheck (a ReDoS checker); `regex` only parses its value, never runs it.
 */
export function boundFormats(ajv: Ajv): void {
  const url = ajv.formats.url;
  if (!(url instanceof RegExp)) throw new Error('ajv-formats did not add the "url" format as a regular expression');
  ajv.addFormat('url', { type: 'string', validate: (s: string) => s.length <= URL_FORMAT_MAX_LENGTH && url.test(s) });
}
