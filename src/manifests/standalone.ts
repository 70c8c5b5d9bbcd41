/**
 * Writes the precompiled validators of the built-in schemas (see precompiled.ts): run at build time
 * by scripts/precompile-schemas.mjs, and by the tests that hold the precompiled code to the compiler.
 */
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Ajv, ValidateFunction } from 'ajv';
import type { ProviderKinds } from '../sdk/provider.js';
import { loadSchema, PACKAGE_ROOT } from './schema-files.js';
import { newAjv } from './schema-registry.js';
import { PRECOMPILED_DIR, schemaDigest } from './precompiled.js';

type Schema = Record<string, unknown>;

const require = createRequire(import.meta.url);

/** A schema as builtinValidator compiles it: without its `$id`. */
export function withoutId(schema: Schema): Schema {
  const { $id: _id, ...rest } = schema;
  return rest;
}

/** ajv's standalone code (CommonJS) for one schema (without `$id`), checked against the meta-schema as it compiles. */
export function standaloneSource(schema: Schema): string {
  const ajv = newAjv({ source: true });
  const validate = ajv.compile(schema);
  const standaloneCode = (require('ajv/dist/standalone') as { default: (ajv: Ajv, v: ValidateFunction) => string }).default;
  return standaloneCode(ajv, validate);
}

/** Every built-in schema: driftless's own (`schemas/`), and each provider's kinds and target settings. */
export function builtinSchemas(providers: readonly (ProviderKinds & { targetSchema?: Schema })[]): Schema[] {
  const out: Schema[] = [];
  for (const f of readdirSync(join(PACKAGE_ROOT, 'schemas'))
    .filter((x) => x.endsWith('.schema.json'))
    .sort())
    out.push(loadSchema(f));
  for (const p of providers) {
    for (const info of Object.values(p.kinds)) out.push(info.schema);
    if (p.targetSchema) out.push(p.targetSchema);
  }
  return out;
}

/** Writes one file per schema into `dir` (replaced whole: written beside it, then renamed). Returns how many. */
export function writePrecompiled(schemas: readonly Schema[], dir = PRECOMPILED_DIR): number {
  const next = `${dir}.next-${process.pid}`;
  rmSync(next, { recursive: true, force: true });
  mkdirSync(next, { recursive: true });
  const seen = new Set<string>();
  for (const schema of schemas) {
    const rest = withoutId(schema);
    const digest = schemaDigest(rest);
    if (seen.has(digest)) continue;
    seen.add(digest);
    writeFileSync(join(next, `${digest}.cjs`), standaloneSource(rest));
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(next, dir);
  return seen.size;
}
