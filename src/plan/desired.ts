import type { KindInfo, SpecProblem } from '../sdk/provider.js';
import type { LocatedResource } from '../manifests/loader.js';
import type { SchemaRegistry } from '../manifests/schema-registry.js';
import { NONE, pointerToPath, sharedIds } from '../manifests/validate.js';
import { Graph } from '../dag/graph.js';
import type { RecordedResource } from './model.js';
import { deepEqual } from './values.js';
import { PairCache } from './pair-cache.js';
import { isSensitivePath } from './sensitive.js';

export interface DesiredResource extends LocatedResource {
  info?: KindInfo;
  /** Every dependency: explicit, implicit (by natural key) and from !ref; sorted. */
  deps: string[];
  /**
   * JSON pointers whose values are sensitive: writeOnly fields, !secret values, and !ref values
   * taken from a sensitive output.
   */
  sensitive: string[];
  /** The outputs derived from a sensitive field (`*`: all of them), masked in state like one. */
  sensitiveOutputs: string[];
}

export interface DesiredSet {
  resources: Map<string, DesiredResource>;
  graph: Graph;
  /** Dependencies first. */
  order: string[];
}

/**
 * A desired resource built field by field, all its fields in the object itself. Spread from the
 * located resource (`{ ...r, deps }`), the added fields went to a second store: 75 bytes more each.
 */
export function desiredResource(
  r: LocatedResource,
  info: KindInfo | undefined,
  deps: string[],
  sensitive: string[],
  sensitiveOutputs: string[],
): DesiredResource {
  const { id, apiVersion, kind, name, spec, dependsOn, protect, adopt, secretPaths, refs, loc } = r;
  return { id, apiVersion, kind, name, spec, dependsOn, protect, adopt, secretPaths, refs, loc, info, deps, sensitive, sensitiveOutputs };
}

/** A problem found across resources; `path` is inside the resource's document. */
export interface SetIssue {
  resource: LocatedResource;
  path: (string | number)[];
  target?: 'value' | 'key';
  message: string;
}

export interface KindFacts {
  key: string;
  refs: { kind: string; key: string }[];
  /** What the kind's `validate` hook refuses in this spec (what apply would refuse). */
  problems: SpecProblem[];
  /** The kind's triggers (handlers): each one's ids are dependencies. */
  triggers: { key: string; path: string; ids: string[] }[];
}

/**
 * Natural keys, implicit references and the kind's own checks are pure functions of an (immutable,
 * cached) spec and the resource's name: computed once per pair while a cache is kept. A stack's
 * memo keeps its cache across builds (a service's next commit); without a memo (a one-shot process)
 * it lives for one build: at 100,000 resources the facts held about 10 MB to the end of a plan.
 */
export type FactsCache = PairCache<object, string, KindFacts>;
export function kindFacts(info: KindInfo, r: LocatedResource, cache?: FactsCache): KindFacts {
  // By spec and name: the resources one manifest spreads over hosts share a spec, not a name.
  const hit = cache?.get(r.spec, r.name);
  if (hit) return hit;
  const facts: KindFacts = {
    key: info.naturalKey(r.spec, r.name),
    refs: info.references?.(r.spec, r.name) ?? NO_REFS,
    problems: checkSpec(info, r),
    triggers: info.triggers?.(r.spec, r.name) ?? NO_TRIGGERS,
  };
  cache?.set(r.spec, r.name, facts);
  return facts;
}
const NO_REFS: KindFacts['refs'] = [];
const NO_TRIGGERS: KindFacts['triggers'] = [];

/** The kind's `validate` hook; a hook that throws (a third-party bug) is reported on the spec, not raised. */
function checkSpec(info: KindInfo, r: LocatedResource): SpecProblem[] {
  try {
    const problems = info.validate?.(r.spec, r.name);
    return problems?.length ? problems : NONE; // most specs: the one shared empty list
  } catch (err) {
    return [{ path: '', message: `the provider's check of ${r.kind} failed: ${(err as Error).message}` }];
  }
}

/** The kind's problems with a spec as issues at their fields (`spec.path: …`). */
function specIssues(r: LocatedResource, facts: KindFacts): SetIssue[] {
  return facts.problems.map((p) => {
    const path = ['spec', ...pointerToPath(p.path)];
    return { resource: r, path, message: `${path.join('.')}: ${p.message}` };
  });
}

/**
 * The last desired set built for one stack, so that a commit which edits a few resources without
 * changing what they are or depend on reuses the graph and order instead of rebuilding them.
 */
export interface DesiredSetMemo {
  input?: LocatedResource[];
  registry?: SchemaRegistry;
  set?: DesiredSet;
  /** The kind facts of the stack's specs, kept for the next build. */
  facts?: FactsCache;
}

/** At most this many changed resources take the incremental path. */
const INCREMENTAL_LIMIT = 64;

/** Build the desired set of a stack: ids, dependencies and order. Pure (the memo only saves work). */
export function buildDesiredSet(input: LocatedResource[], registry: SchemaRegistry, memo?: DesiredSetMemo): { set?: DesiredSet; issues: SetIssue[] } {
  const facts: FactsCache = memo ? (memo.facts ??= new PairCache()) : new PairCache();
  const reused = memo ? incremental(input, registry, memo, facts) : undefined;
  if (reused) {
    memo!.input = input;
    memo!.set = reused;
    return { set: reused, issues: [] };
  }
  const r = buildFully(input, registry, facts);
  if (memo) {
    memo.input = r.set ? input : undefined;
    memo.registry = registry;
    memo.set = r.set;
  }
  return r;
}

/**
 * The previous set with the changed resources swapped in, when every change keeps the resource's id,
 * natural key, explicit and implicit dependencies, references and secrets; otherwise undefined.
 */
function incremental(input: LocatedResource[], registry: SchemaRegistry, memo: DesiredSetMemo, facts: FactsCache): DesiredSet | undefined {
  const prev = memo.input;
  if (!prev || !memo.set || memo.registry !== registry || prev.length !== input.length) return undefined;
  const changed: number[] = [];
  for (let i = 0; i < input.length; i++) {
    if (input[i] !== prev[i]) {
      changed.push(i);
      if (changed.length > INCREMENTAL_LIMIT) return undefined;
    }
  }
  const resources = new Map(memo.set.resources);
  for (const i of changed) {
    const before = memo.set.resources.get(prev[i].id);
    const r = input[i];
    if (!before || r.id !== before.id || r.apiVersion !== before.apiVersion) return undefined;
    const entry = registry.lookup(r.apiVersion, r.kind);
    if (!sameShape(r, before, entry?.info, facts)) return undefined;
    if (entry?.info && kindFacts(entry.info, r, facts).problems.length) return undefined; // the full build reports them
    resources.set(r.id, desiredResource(r, entry?.info, before.deps, ownSensitive(r, entry?.sensitive), NONE));
  }
  propagateSensitivity(resources, memo.set.order);
  return { resources, graph: memo.set.graph, order: memo.set.order };
}

function sameShape(r: LocatedResource, before: DesiredResource, info: KindInfo | undefined, facts: FactsCache): boolean {
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  if (!same(r.dependsOn, before.dependsOn) || !same(r.secretPaths, before.secretPaths)) return false;
  if (
    !same(
      r.refs.map((x) => x.ref.resource),
      before.refs.map((x) => x.ref.resource),
    )
  )
    return false;
  if (info && before.info) {
    const a = kindFacts(info, r, facts);
    const b = kindFacts(before.info, before, facts);
    if (a.key !== b.key || !same(a.refs, b.refs) || !same(a.triggers, b.triggers)) return false;
  }
  return true;
}

function buildFully(input: LocatedResource[], registry: SchemaRegistry, cache: FactsCache): { set?: DesiredSet; issues: SetIssue[] } {
  const issues: SetIssue[] = [];
  const resources = new Map<string, DesiredResource>();
  const byKey = new Map<string, DesiredResource>(); // kind + natural key
  for (const r of input) {
    const prior = resources.get(r.id);
    if (prior) {
      issues.push({
        resource: r,
        path: ['metadata', 'name'],
        message: `duplicate id ${r.id}: also declared at ${prior.loc.file}:${prior.loc.line}:${prior.loc.col}`,
      });
      continue;
    }
    const entry = registry.lookup(r.apiVersion, r.kind);
    const d = desiredResource(r, entry?.info, NONE, ownSensitive(r, entry?.sensitive), NONE);
    if (d.info) {
      const facts = kindFacts(d.info, r, cache);
      issues.push(...specIssues(r, facts)); // reported, and the resource kept: no follow-on "not declared" errors
      const natural = facts.key;
      const key = `${r.kind}\u0000${natural}`;
      const other = byKey.get(key);
      if (other) {
        issues.push({
          resource: r,
          path: ['spec'],
          message: `${r.id} and ${other.id} (${other.loc.file}:${other.loc.line}:${other.loc.col}) manage the same object "${natural}"`,
        });
        continue;
      }
      byKey.set(key, d);
    }
    resources.set(r.id, d);
  }

  const graph = new Graph();
  const depLists = new Map<string, string[]>(); // equal lists shared (files of a directory: one list)
  for (const id of resources.keys()) graph.add(id);
  for (const d of resources.values()) {
    const deps = new Set<string>();
    d.dependsOn.forEach((dep, i) => {
      if (!resources.has(dep)) {
        issues.push({ resource: d, path: ['metadata', 'dependsOn', i], message: `dependsOn names ${dep}, which is not declared in this stack` });
      } else deps.add(dep);
    });
    for (const { path, ref } of d.refs) {
      if (ref.stack !== undefined) continue; // another stack's resource: checked across stacks (plan/workflow.ts)
      if (!resources.has(ref.target)) {
        issues.push({ resource: d, path: pointerToPath(path), message: `!ref ${ref} names ${ref.target}, which is not declared in this stack` });
      } else if (ref.target === d.id) {
        issues.push({ resource: d, path: pointerToPath(path), message: `!ref ${ref} refers to the resource itself` });
      } else deps.add(ref.target);
    }
    for (const t of d.info ? kindFacts(d.info, d, cache).triggers : []) {
      t.ids.forEach((dep, i) => {
        if (!resources.has(dep)) {
          issues.push({
            resource: d,
            path: ['spec', ...pointerToPath(t.path), i],
            message: `${t.key} trigger names ${dep}, which is not declared in this stack`,
          });
        } else deps.add(dep);
      });
    }
    for (const o of d.info ? kindFacts(d.info, d, cache).refs : []) {
      const target = byKey.get(`${o.kind}\u0000${o.key}`);
      if (target && target.id !== d.id) deps.add(target.id);
    }
    deps.delete(d.id);
    d.deps = deps.size ? sharedIds(depLists, [...deps].sort()) : NONE;
    for (const dep of d.deps) graph.connect(d.id, dep);
  }
  if (issues.length) return { issues };

  const order = graph.topologicalOrder();
  if (!order) {
    const cycle = graph.findCycle()!;
    const first = resources.get(cycle[0])!;
    issues.push({ resource: first, path: [], message: `dependency cycle: ${cycle.join(' -> ')}` });
    return { issues };
  }
  propagateSensitivity(resources, order);
  return { set: { resources, graph, order }, issues };
}

/** The fields sensitive by the resource alone: its kind's writeOnly fields and its !secret values. */
export function ownSensitive(r: LocatedResource, kindSensitive: string[] = []): string[] {
  return r.secretPaths.length ? [...new Set([...kindSensitive, ...r.secretPaths])].sort() : kindSensitive;
}

/**
 * Sensitivity follows values: an output derived from a sensitive field is sensitive, and so is a
 * field that takes such an output by !ref, however many hops away. Walks `order` (dependencies
 * first) and sets each resource's `sensitive` and `sensitiveOutputs` in place.
 */
export function propagateSensitivity(resources: Map<string, DesiredResource>, order: string[]): void {
  for (const id of order) {
    const d = resources.get(id)!;
    // Another stack's sensitive output may only reach a writeOnly field (checked across stacks), already sensitive.
    const inherited = d.refs.filter(({ ref }) => ref.stack === undefined && isOutputSensitive(resources.get(ref.target), ref.field[0])).map(({ path }) => path);
    const sensitive = inherited.length ? [...new Set([...d.sensitive, ...inherited])].sort() : d.sensitive;
    const outputs = sensitiveOutputs(d.info, sensitive);
    // A new object when anything changes: an incremental build shares the previous set's objects.
    if (sensitive.join('\0') !== d.sensitive.join('\0') || outputs.join('\0') !== d.sensitiveOutputs.join('\0'))
      resources.set(id, desiredResource(d, d.info, d.deps, sensitive, outputs));
  }
}

function sensitiveOutputs(info: KindInfo | undefined, sensitive: string[]): string[] {
  if (!sensitive.length) return NONE;
  const sources = info?.outputSources;
  if (!sources) return ['*'];
  return Object.entries(sources)
    .filter(([, from]) => from.some((p) => isSensitivePath(p, sensitive)))
    .map(([name]) => name)
    .sort();
}

export function isOutputSensitive(d: DesiredResource | undefined, output: string): boolean {
  return !!d && (d.sensitiveOutputs.includes('*') || d.sensitiveOutputs.includes(output));
}

/**
 * A recorded resource whose spec equals its manifest's (the common case: nothing changed) takes the
 * manifest's spec object, so a large stack's specs are held once rather than twice. Both are
 * immutable; equality is unaffected. Resources with !ref or !secret values are left alone. Its
 * identifying strings, dependency list and outputs equal to spec fields are shared with the
 * manifest's too when equal (a record read from state holds copies of its own).
 */
export function shareWithManifest(r: RecordedResource, desired: DesiredSet): RecordedResource {
  const d = desired.resources.get(r.id);
  if (!d) return r;
  r.id = d.id;
  if (r.apiVersion === d.apiVersion) r.apiVersion = d.apiVersion;
  if (r.kind === d.kind) r.kind = d.kind;
  if (r.name === d.name) r.name = d.name;
  if (r.deps.length === d.deps.length && r.deps.every((x, i) => x === d.deps[i])) r.deps = d.deps;
  if (d.refs.length === 0 && d.secretPaths.length === 0 && deepEqual(d.spec, r.spec)) r.spec = d.spec;
  // An output equal to the spec's field of its name (a file's path) takes the manifest's string.
  const spec = d.spec as Record<string, unknown>;
  for (const k in r.outputs) if (typeof r.outputs[k] === 'string' && spec[k] === r.outputs[k]) r.outputs[k] = spec[k] as string;
  return r;
}
