/** Ajv's regular-expression engine: RE2 (re2js), whose matching time is linear in the input, with ECMAScript's meaning. */
import type { Options } from 'ajv';
import { RE2JS, RE2JSSyntaxException } from 're2js';
import { ecmaToRe2 } from './ecma-to-re2.js';

type RegExpEngine = NonNullable<NonNullable<Options['code']>['regExp']>;

/** The name precompiled validators require this engine by (see precompiled.ts). */
export const REGEXP_MODULE = 'driftless:linear-regexp';

/** How many answers a compiled pattern keeps, and for strings up to which length. */
const MEMO_SIZE = 1024;
const MEMO_LENGTH = 128;

const LINEAR = 'which cannot run in linear time; patterns run on RE2 (no backreferences or lookaround)';

/** A pattern the linear-time engine cannot run, with the reason in words. */
export class PatternRefused extends Error {
  constructor(
    readonly pattern: string,
    readonly reason: string,
  ) {
    super(`${JSON.stringify(pattern)} ${reason}`);
    this.name = 'PatternRefused';
  }
}

/**
 * Compiles a JSON Schema `pattern` (or `patternProperties` key), or throws PatternRefused. The
 * pattern must be valid ECMAScript with the `u` flag (JSON Schema's dialect, as ajv checks by
 * default); it is then rewritten for RE2 (see ecmaToRe2) and compiled there. The result's
 * `toString` is the pattern: ajv shares compiled patterns by that key.
 */
export const linearRegExp: RegExpEngine = Object.assign(
  (pattern: string, _flags: string) => {
    try {
      new RegExp(pattern, 'u'); // only parsed, never run: parsing is linear in the pattern's length
    } catch (err) {
      throw new PatternRefused(pattern, `is not a valid regular expression: ${(err as Error).message}`);
    }
    let re: RE2JS;
    try {
      re = RE2JS.compile(ecmaToRe2(pattern));
    } catch (err) {
      throw new PatternRefused(pattern, refusalReason(err));
    }
    // Manifests repeat most values a pattern checks (apiVersion, kind, mode, a dependency): a
    // short one's answer is kept, up to MEMO_SIZE of them (a pattern's test is pure).
    const memo = new Map<string, boolean>();
    const test = (s: string): boolean => {
      let ok = memo.get(s);
      if (ok !== undefined) return ok;
      ok = re.test(s);
      if (s.length <= MEMO_LENGTH) {
        if (memo.size >= MEMO_SIZE) memo.clear();
        memo.set(s, ok);
      }
      return ok;
    };
    return { test, toString: () => `/${pattern}/u` };
  },
  { code: `require(${JSON.stringify(REGEXP_MODULE)}).linearRegExp` },
);

/**
 * The same engine, compiling each pattern when it first runs: for precompiled validators, whose
 * patterns (driftless's own schemas) the build already compiled with `linearRegExp`. A command
 * then compiles only the patterns its manifests reach (start-up: about 20 ms less).
 */
export const deferredLinearRegExp = (pattern: string, flags: string): { test(s: string): boolean; toString(): string } => {
  let re: ReturnType<RegExpEngine> | undefined;
  return { test: (s: string) => (re ??= linearRegExp(pattern, flags)).test(s), toString: () => `/${pattern}/u` };
};

/** Why RE2 refused a pattern that ECMAScript accepts, naming what cannot run in linear time. Pure. */
export function refusalReason(err: unknown): string {
  if (!(err instanceof RE2JSSyntaxException)) return `cannot be compiled by RE2: ${(err as Error).message}`;
  const input = err.input ?? '';
  if (/^\\(?:[1-9]|k)/.test(input)) return `uses a backreference (${input.slice(0, 2)}), ${LINEAR}`;
  if (/^\(\?[=!]/.test(input)) return `uses lookahead (${input.slice(0, 3)}), ${LINEAR}`;
  if (/^\(\?<[=!]/.test(input)) return `uses lookbehind (${input.slice(0, 4)}), ${LINEAR}`;
  return `cannot run on RE2, the linear-time engine: ${err.error}${input ? ` \`${input}\`` : ''}`;
}
