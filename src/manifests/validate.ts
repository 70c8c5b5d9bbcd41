import type { ErrorObject } from 'ajv';
import type { Spec } from '../sdk/provider.js';
import { Ref, SecretRef } from './values.js';
import type { SchemaRegistry } from './schema-registry.js';

/** A manifest document that passed validation, with defaults filled in. */
export interface ManifestResource {
  id: string;
  apiVersion: string;
  kind: string;
  name: string;
  spec: Spec; // may hold Ref and SecretRef values
  dependsOn: string[];
  protect: boolean;
  adopt: boolean;
  /** JSON pointers of values given with !secret or !ref. */
  secretPaths: string[];
  refs: { path: string; ref: Ref }[];
}

export interface Issue {
  path: (string | number)[];
  target: 'value' | 'key';
  message: string;
  resourceId?: string;
}

export interface DocResult {
  resource?: ManifestResource;
  issues: Issue[];
}

/** Validate one parsed document against the envelope and its kind's schemas. Pure. */
export function validateDocument(value: unknown, registry: SchemaRegistry): DocResult {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return { issues: [{ path: [], target: 'value', message: 'a manifest must be a mapping with apiVersion, kind, metadata and spec' }] };
  }
  const doc = value as Record<string, unknown>;
  const meta = (doc.metadata ?? {}) as Record<string, unknown>;
  const resourceId = typeof doc.kind === 'string' && typeof meta.name === 'string' ? `${doc.kind}/${meta.name}` : undefined;
  const issues: Issue[] = [];
  const tagged = collectTagged(doc.spec, ['spec']);
  if (!registry.envelope(doc)) {
    issues.push(...toIssues(registry.envelope.errors ?? [], resourceId, []));
  }
  if (issues.length) return { issues };

  const apiVersion = doc.apiVersion as string;
  const kind = doc.kind as string;
  const entry = registry.lookup(apiVersion, kind);
  if (!entry) {
    const known = registry.known();
    const sameGroup = known.filter((k) => k.startsWith(apiVersion.split('/')[0] + '/'));
    const list = (sameGroup.length ? sameGroup : known).join(', ');
    return { issues: [{ path: ['kind'], target: 'value', resourceId, message: `unknown kind "${kind}" in apiVersion "${apiVersion}"; known kinds: ${list}` }] };
  }
  const taggedPointers = new Set(tagged.map((t) => t.pointer));
  for (const validate of entry.validators) {
    if (!validate(doc.spec)) {
      const errs = (validate.errors ?? []).filter((e) => !isUnderTagged(`/spec${e.instancePath}`, taggedPointers));
      issues.push(...toIssues(errs, resourceId, ['spec']));
    }
  }
  for (const pointer of entry.sensitive) {
    const path = pointerToPath(pointer);
    let v: unknown = doc;
    for (const seg of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[seg] : undefined;
    // Another stack's output may feed a writeOnly field (a password made upstream): checked across stacks.
    if (v !== undefined && v !== null && !(v instanceof SecretRef) && !(v instanceof Ref && v.stack !== undefined)) {
      issues.push({ path, target: 'value', resourceId, message: `${path.join('.')}: is sensitive: give it with !secret NAME, never as a value in git` });
    }
  }
  if (issues.length) return { issues };
  const refs: { path: string; ref: Ref }[] = [];
  const secretPaths: string[] = [];
  for (const t of tagged) {
    if (t.value instanceof Ref) refs.push({ path: t.pointer, ref: t.value });
    else secretPaths.push(t.pointer);
  }
  const dependsOn = meta.dependsOn as string[] | undefined;
  return {
    issues: [],
    resource: {
      id: `${entry.kind}/${meta.name}`, // of the registry's kind string: the parsed one is left to die
      apiVersion: entry.apiVersion,
      kind: entry.kind,
      name: meta.name as string,
      spec: doc.spec as Spec,
      dependsOn: dependsOn?.length ? sharedIds(dependsOnKept, dependsOn, DEPENDS_ON_KEPT) : NONE,
      protect: meta.protect === true,
      adopt: meta.import === true,
      secretPaths: secretPaths.length ? secretPaths : NONE,
      refs: refs.length ? refs : NONE,
    },
  };
}

/**
 * The empty list every resource without dependencies, secrets or references shares (most of a
 * large stack's resources: one list each would be 32 bytes apiece). Frozen: never written to.
 */
export const NONE = Object.freeze([]) as never[];

/**
 * `ids`, or an equal list already in `kept`: lists of resource ids that many resources hold alike
 * (the files of a directory all name it) share one frozen list. Past `bound` lists, `kept` starts
 * again. A list of one id held per resource was 96 bytes (10 MB at 100,000 resources).
 */
export function sharedIds(kept: Map<string, string[]>, ids: string[], bound = Infinity): string[] {
  const key = ids.join('\n'); // resource ids hold no whitespace (the schema's patterns)
  const hit = kept.get(key);
  if (hit) return hit;
  if (kept.size >= bound) kept.clear();
  kept.set(key, Object.freeze(ids) as string[]);
  return ids;
}

/** The dependsOn lists met so far (see sharedIds), a few thousand at most. */
const dependsOnKept = new Map<string, string[]>();
const DEPENDS_ON_KEPT = 4096;

function isUnderTagged(pointer: string, tagged: Set<string>): boolean {
  for (const t of tagged) if (pointer === t || pointer.startsWith(t + '/')) return true;
  return false;
}

interface Tagged {
  pointer: string;
  path: (string | number)[];
  value: Ref | SecretRef;
}

export function collectTagged(v: unknown, path: (string | number)[], out: Tagged[] = []): Tagged[] {
  if (v instanceof Ref || v instanceof SecretRef) {
    out.push({ pointer: '/' + path.map(escapePointer).join('/'), path, value: v });
  } else if (Array.isArray(v)) {
    v.forEach((x, i) => collectTagged(x, [...path, i], out));
  } else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) collectTagged(x, [...path, k], out);
  }
  return out;
}

export function escapePointer(seg: string | number): string {
  return String(seg).replace(/~/g, '~0').replace(/\//g, '~1');
}

export function pointerToPath(pointer: string): string[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function toIssues(errors: ErrorObject[], resourceId: string | undefined, prefix: (string | number)[]): Issue[] {
  const out: Issue[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    // oneOf/anyOf produce a summary error plus one per branch; the branch errors say more.
    if (e.keyword === 'oneOf' || e.keyword === 'anyOf' || e.keyword === 'if') continue;
    const path = [...prefix, ...pointerToPath(e.instancePath)];
    let target: 'value' | 'key' = 'value';
    let field = path.join('.');
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'additionalProperties') {
      const extra = String((e.params as { additionalProperty: string }).additionalProperty);
      path.push(extra);
      target = 'key';
      field = path.join('.');
      message = 'unknown property (not in the schema)';
    } else if (e.keyword === 'required') {
      const missing = String((e.params as { missingProperty: string }).missingProperty);
      field = [...path, missing].join('.');
      message = 'is required';
    } else if (e.keyword === 'enum') {
      message = `must be one of ${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)}`;
    } else if (e.keyword === 'const') {
      message = `must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`;
    }
    const text = `${field || '(document)'}: ${message}`;
    if (seen.has(text)) continue;
    seen.add(text);
    out.push({ path, target, message: text, resourceId });
  }
  return out;
}
