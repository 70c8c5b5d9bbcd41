import { Ajv, type ValidateFunction, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { createHash } from 'node:crypto';
import type { KindInfo, ProviderKinds } from '../sdk/provider.js';
import { loadSchema } from './schema-files.js';
import { boundFormats } from './bounded-formats.js';
import { linearRegExp, PatternRefused } from './linear-regexp.js';
import { findPattern } from './pattern-location.js';
import { escapePointer } from './validate.js';
import { locate } from './yaml.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

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
export function newAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, loadSchema: undefined, code: { regExp: linearRegExp } });
  addFormats(ajv);
  boundFormats(ajv);
  return ajv;
}

/**
 * Every kind the engine knows (the providers' kinds as data, never a connection), with its compiled validators. Schemas compile once per registry;
 * a registry with repository schemas is keyed by their content, so it is built once per change.
 */
export class SchemaRegistry {
  readonly ajv = newAjv();
  readonly key: string;
  private readonly kinds = new Map<string, KindEntry>();
  readonly envelope: ValidateFunction;
  readonly problems: SchemaProblem[] = [];

  constructor(
    readonly providers: readonly ProviderKinds[],
    custom: CustomSchema[] = [],
  ) {
    this.envelope = this.ajv.compile(loadSchema('manifest.schema.json'));
    for (const p of providers) {
      for (const [kind, info] of Object.entries(p.kinds)) {
        for (const v of p.versions) {
          const apiVersion = `${p.group}/${v}`;
          const validate = this.compile(info.schema);
          this.kinds.set(`${apiVersion} ${kind}`, {
            apiVersion,
            kind,
            provider: p,
            info,
            validators: [validate],
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

  private compile(schema: Record<string, unknown>): ValidateFunction {
    const id = schema.$id as string | undefined;
    if (id) {
      const existing = this.ajv.getSchema(id);
      if (existing) return existing;
    }
    return this.ajv.compile(schema);
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
      validate = this.ajv.compile(rest);
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

  lookup(apiVersion: string, kind: string): KindEntry | undefined {
    return this.kinds.get(`${apiVersion} ${kind}`);
  }

  /** "apiVersion Kind" of every known kind, sorted. */
  known(): string[] {
    return [...this.kinds.values()].map((k) => `${k.apiVersion} ${k.kind}`).sort();
  }

  providerFor(apiVersion: string): ProviderKinds | undefined {
    const group = apiVersion.split('/')[0];
    return this.providers.find((p) => p.group === group);
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
