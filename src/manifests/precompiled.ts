/**
 * Precompiled validators of driftless's built-in schemas (its own formats and the built-in providers'
 * kinds and targets): ajv's standalone code, written at build time (scripts/precompile-schemas.mjs)
 * into `dist/precompiled-schemas/`, one file per schema, named by its digest. A command that finds
 * its schemas there loads neither ajv's compiler nor the meta-schema: compiling the server config's
 * schema alone cost 150–220 ms of every command.
 *
 * A schema whose digest has no file (a source checkout not built since the schema changed, a
 * third-party provider) is compiled as before. The digest covers the schema, ajv's version and
 * FORMAT below, so a stale file is never used for a changed schema.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv';
import { PACKAGE_ROOT } from '../sdk/package-root.js';
import { runtimeFormats } from './bounded-formats.js';
import { deferredLinearRegExp, REGEXP_MODULE } from './linear-regexp.js';

/** Bump when what the generated code refers to (the module names below, their exports) changes. */
const FORMAT = 1;

export const PRECOMPILED_DIR = join(PACKAGE_ROOT, 'dist', 'precompiled-schemas');

/** The names generated code requires driftless's own runtime parts by (see standalone.ts). */
export const FORMATS_MODULE = 'driftless:formats';

const require = createRequire(import.meta.url);

let ajvVersion: string | undefined;

/** The key of one schema's validator: the schema (without `$id`, as it compiles), ajv's version and FORMAT. */
export function schemaDigest(schema: Record<string, unknown>): string {
  ajvVersion ??= (JSON.parse(readFileSync(require.resolve('ajv/package.json'), 'utf8')) as { version: string }).version;
  return createHash('sha256').update(`${FORMAT}\0${ajvVersion}\0`).update(JSON.stringify(schema)).digest('hex').slice(0, 32);
}

/** The file of a schema's precompiled validator (whether it exists or not). */
function fileOf(schema: Record<string, unknown>, dir: string): string {
  return join(dir, `${schemaDigest(schema)}.cjs`);
}

/** What generated code may require: ajv's small runtime helpers, and driftless's formats and pattern engine. */
function runtimeRequire(id: string): unknown {
  if (id === FORMATS_MODULE) return runtimeFormats();
  if (id === REGEXP_MODULE) return { linearRegExp: deferredLinearRegExp };
  if (id.startsWith('ajv/dist/runtime/')) return require(id);
  throw new Error(`precompiled schema code requires ${id}, which it may not`);
}

/** A validator from standalone source (CommonJS, as ajv writes it). */
export function validatorFromSource(source: string): ValidateFunction {
  const module = { exports: {} as Record<string, unknown> };
  // The source is ajv's own output for one of driftless's built-in schemas, written at build time
  // into the package; it never comes from a repository or a request.
  new Function('require', 'module', 'exports', source)(runtimeRequire, module, module.exports);
  const v = (module.exports.default ?? module.exports) as ValidateFunction;
  if (typeof v !== 'function') throw new Error('precompiled schema code exports no validator');
  return v;
}

/** The file of a schema's (without `$id`) precompiled validator, or undefined when there is none for its digest. */
export function findPrecompiled(schema: Record<string, unknown>, dir = PRECOMPILED_DIR): string | undefined {
  const file = fileOf(schema, dir);
  return existsSync(file) ? file : undefined;
}

/** The precompiled validator of a schema (without `$id`), or undefined when there is none for its digest. */
export function loadPrecompiled(schema: Record<string, unknown>, dir = PRECOMPILED_DIR): ValidateFunction | undefined {
  const file = findPrecompiled(schema, dir);
  return file === undefined ? undefined : validatorFromSource(readFileSync(file, 'utf8'));
}
