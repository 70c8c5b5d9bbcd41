/** ajv-formats' formats with a bounded cost: the one whose regular expression is polynomial in its input gets a length limit. */
import type { Ajv, Format } from 'ajv';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

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
  ajv.addFormat('url', boundedUrl(ajv.formats.url));
}

function boundedUrl(url: unknown): Format {
  if (!(url instanceof RegExp)) throw new Error('ajv-formats did not add the "url" format as a regular expression');
  return { type: 'string', validate: (s: string) => s.length <= URL_FORMAT_MAX_LENGTH && url.test(s) };
}

let runtime: Record<string, unknown> | undefined;

/** The formats as an Ajv of newAjv() has them (ajv-formats' full set, `url` bounded), for precompiled validators. */
export function runtimeFormats(): Record<string, unknown> {
  if (!runtime) {
    const { fullFormats } = require('ajv-formats/dist/formats') as { fullFormats: Record<string, unknown> };
    runtime = { ...fullFormats, url: boundedUrl(fullFormats.url) };
  }
  return runtime;
}
