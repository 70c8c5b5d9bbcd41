import type { Ajv, ValidateFunction, ErrorObject } from 'ajv';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { providerFor, type KindInfo, type ProviderKinds } from '../sdk/provider.js';
import { loadSchema } from './schema-files.js';
import { boundFormats } from './bounded-formats.js';
import { linearRegExp, PatternRefused } from './linear-regexp.js';
import { FORMATS_MODULE, findPrecompiled, validatorFromSource } from './precompiled.js';
import { readFileSync } from 'node:fs';
import { findPattern } from './pattern-location.js';
import { escapePointer } from './validate.js';
import { locate } from './yaml.js';

// ajv and ajv-formats load on the first compile: a command whose schemas are all precompiled
// (see precompiled.ts) never loads them.
const require = createRequire(import.meta.url);

export interface KindEntry {
  apiVersion: string;
  kind: string;
  provider?: ProviderKinds;
  info?: KindInfo;
  /** Validators for `spec`: the built-in one, then any custom ones from the repository. */
  validators: ValidateFunction[];
  /** JSON pointers (under the document, `/spec/password`) of fields the schemas mark writeOnly. */
  sensitive: string[];
}

export interface CustomSchema {
  file: string;
  schema: Record<string, unknown>;
  /** The file's text and the schema's document in it, to point a problem at its line and column. */
  source?: string;
  docIndex?: number;
}

/** A problem with a repository schema, at its place in the schema file. */
export interface SchemaProblem {
  file: string;
  line: number;
  col: number;
  message: string;
}

/**
 * An Ajv as driftless configures it. Every `pattern` and `patternProperties` key runs on RE2, in
 * time linear in the input, with ECMAScript's meaning (see linear-regexp.ts): manifests and
 * repository schemas come from pull requests, and no pattern, ours or theirs, may stall the service.
 */
export function newAjv(opts: { source?: boolean } = {}): Ajv {
  const { Ajv: AjvClass, _ } = require('ajv') as typeof import('ajv');
  const addFormats = require('ajv-formats') as (ajv: Ajv) => Ajv;
  const ajv = new AjvClass({
    allErrors: true,
    useDefaults: true,
    strict: false,
    loadSchema: undefined,
    // `formats` is what standalone code refers to the formats by (precompiled.ts provides it).
    code: { regExp: linearRegExp, formats: _`require(${FORMATS_MODULE})`, source: opts.source ?? false },
  });
  addFormats(ajv);
  boundFormats(ajv);
  return ajv;
}

let shared: Ajv | undefined;
const precompiled = new WeakMap<object, string | null>();

/** A built-in schema's precompiled validator file (see precompiled.ts), looked up once per schema. */
function precompiledFile(schema: Record<string, unknown>): string | null {
  let file = precompiled.get(schema);
  if (file === undefined) {
    const { $id: _id, ...rest } = schema;
    file = findPrecompiled(rest) ?? null;
    precompiled.set(schema, file);
  }
  return file;
}
const builtins = new WeakMap<object, ValidateFunction>();
const checked = new WeakSet<object>();

/**
 * The process's Ajv for driftless's own schemas (server config, driftless.yaml, the manifest
 * envelope) and the providers' (kinds, targets): they never change while the process runs, so each
 * compiles once, when first needed, and the meta-schema compiles once for all of them. Repository
 * schemas never go here: each registry has an Ajv of its own for them, dropped with it.
 */
export function sharedAjv(): Ajv {
  shared ??= newAjv();
  return shared;
}

/**
 * The validator of one built-in schema, compiled in the shared Ajv on first use. Compiled without
 * its `$id`, so two providers' ids never clash; a repository schema reaches it by `$id` in its
 * registry's own Ajv (see SchemaRegistry).
 */
export function builtinValidator(schema: Record<string, unknown>): ValidateFunction {
  let v = builtins.get(schema);
  if (!v) {
    const file = precompiledFile(schema);
    if (file) v = validatorFromSource(readFileSync(file, 'utf8'));
    else {
      const { $id: _id, ...rest } = schema;
      v = sharedAjv().compile(rest);
    }
    builtins.set(schema, v);
  }
  return v;
}

/**
 * Throw as compiling would when a built-in schema does not follow the JSON Schema meta-schema
 * (checked once per schema). A precompiled one was checked when it was compiled.
 */
function checkBuiltin(schema: Record<string, unknown>): void {
  if (checked.has(schema)) return;
  if (!builtins.has(schema) && !precompiledFile(schema)) sharedAjv().validateSchema(schema, true);
  checked.add(schema);
}

/**
 * Every kind the engine knows (the providers' kinds as data, never a connection), with its validators.
 * A built-in kind's schema is checked against the meta-schema here, and compiled when the kind is
 * first looked up (once per process: a repository that uses two kinds never compiles the others).
 * Repository schemas compile here, with their problems; a registry with them is keyed by their
 * content, so it is built once per change.
 */
export class SchemaRegistry {
  readonly key: string;
  private readonly kinds = new Map<string, KindEntry>();
  /** Built-in schemas of kinds not looked up yet, by "apiVersion Kind". */
  private readonly pending = new Map<string, Record<string, unknown>>();
  readonly envelope: ValidateFunction;
  readonly problems: SchemaProblem[] = [];
  /** The Ajv of the repository schemas (made only when there are some), with the built-in schemas they may $ref by id. */
  private customAjv?: Ajv;

  constructor(
    readonly providers: readonly ProviderKinds[],
    custom: CustomSchema[] = [],
  ) {
    this.envelope = builtinValidator(loadSchema('manifest.schema.json'));
    for (const p of providers) {
      for (const [kind, info] of Object.entries(p.kinds)) {
        checkBuiltin(info.schema);
        for (const v of p.versions) {
          const apiVersion = `${p.group}/${v}`;
          const key = `${apiVersion} ${kind}`;
          this.pending.set(key, info.schema);
          this.kinds.set(key, {
            apiVersion,
            kind,
            provider: p,
            info,
            validators: [],
            sensitive: writeOnlyPaths(info.schema, '/spec'),
          });
        }
      }
    }
    const hash = createHash('sha256');
    for (const c of custom) {
      hash.update(c.file).update(JSON.stringify(c.schema));
      this.addCustom(c);
    }
    this.key = custom.length ? hash.digest('hex').slice(0, 16) : 'builtin';
  }

  /** An Ajv for repository schemas, where driftless's and the providers' schemas are known by `$id` (compiled only if referenced). */
  private ajvForCustom(): Ajv {
    if (!this.customAjv) {
      const ajv = newAjv();
      const ids = new Set<string>();
      const add = (schema: Record<string, unknown>): void => {
        const id = schema.$id;
        if (typeof id !== 'string' || ids.has(id)) return; // the first schema of an id wins, as before
        ids.add(id);
        ajv.addSchema(schema, undefined, undefined, false); // checked against the meta-schema in the shared Ajv
      };
      add(loadSchema('manifest.schema.json'));
      for (const p of this.providers) for (const info of Object.values(p.kinds)) add(info.schema);
      this.customAjv = ajv;
    }
    return this.customAjv;
  }

  private addCustom(c: CustomSchema): void {
    const problem = (message: string, at?: { path: string[]; target: 'value' | 'key' }): void => {
      const pos = at && c.source !== undefined ? locate(c.source, c.docIndex ?? 0, at.path, at.target) : { line: 1, col: 1 };
      this.problems.push({ file: c.file, ...pos, message });
    };
    const meta = c.schema['x-driftless-kind'] as { apiVersion?: unknown; kind?: unknown } | undefined;
    if (!meta || typeof meta.apiVersion !== 'string' || typeof meta.kind !== 'string') {
      problem('a repository schema needs "x-driftless-kind": { "apiVersion": "group/v1", "kind": "Kind" }');
      return;
    }
    if ('$ref' in c.schema && typeof c.schema.$ref === 'string' && /^https?:/.test(c.schema.$ref)) {
      problem('remote $ref is not fetched; inline the schema');
      return;
    }
    let validate: ValidateFunction;
    try {
      const { $id: _id, ...rest } = c.schema;
      validate = this.ajvForCustom().compile(rest);
    } catch (err) {
      if (err instanceof PatternRefused) {
        const at = findPattern(c.schema, err.pattern);
        problem(`${at ? '/' + at.path.map(escapePointer).join('/') + ': ' : ''}${err.message}`, at);
      } else {
        problem(`invalid JSON Schema: ${(err as Error).message}`);
      }
      return;
    }
    const k = `${meta.apiVersion} ${meta.kind}`;
    const entry = this.kinds.get(k);
    if (entry) {
      entry.validators.push(validate); // a repository policy on top of a built-in kind
      entry.sensitive.push(...writeOnlyPaths(c.schema, '/spec'));
    } else {
      this.kinds.set(k, { apiVersion: meta.apiVersion, kind: meta.kind, validators: [validate], sensitive: writeOnlyPaths(c.schema, '/spec') });
    }
  }

  /** A kind's entry; its built-in validator compiles on the first lookup (an invalid provider schema throws here). */
  lookup(apiVersion: string, kind: string): KindEntry | undefined {
    const key = `${apiVersion} ${kind}`;
    const entry = this.kinds.get(key);
    const schema = this.pending.get(key);
    if (entry && schema) {
      entry.validators.unshift(builtinValidator(schema)); // the built-in one first, then the repository's
      this.pending.delete(key);
    }
    return entry;
  }

  /** "apiVersion Kind" of every known kind, sorted. */
  known(): string[] {
    return [...this.kinds.values()].map((k) => `${k.apiVersion} ${k.kind}`).sort();
  }

  providerFor(apiVersion: string): ProviderKinds | undefined {
    return providerFor(this.providers, apiVersion);
  }
}

/** JSON pointers of every property marked `writeOnly: true`, following nested `properties`. */
export function writeOnlyPaths(schema: Record<string, unknown>, prefix: string): string[] {
  const out: string[] = [];
  const props = schema.properties as Record<string, Record<string, unknown>> | undefined;
  if (!props) return out;
  for (const [name, sub] of Object.entries(props)) {
    const p = `${prefix}/${name}`;
    if (sub && sub.writeOnly === true) out.push(p);
    else if (sub && typeof sub === 'object') out.push(...writeOnlyPaths(sub, p));
  }
  return out;
}

export type { ErrorObject };
