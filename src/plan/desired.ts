import type { KindInfo } from '../providers/sdk.js';
import type { LocatedResource } from '../manifests/loader.js';
import type { SchemaRegistry } from '../manifests/schema-registry.js';
import { pointerToPath } from '../manifests/validate.js';
import { Graph } from './graph.js';

export interface DesiredResource extends LocatedResource {
  info?: KindInfo;
  /** Every dependency: explicit, implicit (by natural key) and from !ref; sorted. */
  deps: string[];
  /** JSON pointers whose values are sensitive: writeOnly fields and !secret values. */
  sensitive: string[];
}

export interface DesiredSet {
  resources: Map<string, DesiredResource>;
  graph: Graph;
  /** Dependencies first. */
  order: string[];
}

/** A problem found across resources; `path` is inside the resource's document. */
export interface SetIssue {
  resource: LocatedResource;
  path: (string | number)[];
  target?: 'value' | 'key';
  message: string;
}

interface KindFacts {
  key: string;
  refs: { kind: string; key: string }[];
}

/** Natural keys and implicit references are pure functions of an (immutable, cached) spec: computed once per spec. */
const factsCache = new WeakMap<object, KindFacts>();
function kindFacts(info: KindInfo, r: LocatedResource): KindFacts {
  let f = factsCache.get(r.spec);
  if (!f) {
    f = { key: info.naturalKey(r.spec, r.name), refs: info.references?.(r.spec, r.name) ?? [] };
    factsCache.set(r.spec, f);
  }
  return f;
}

/** Build the desired set of a stack: ids, dependencies and order. Pure. */
export function buildDesiredSet(input: LocatedResource[], registry: SchemaRegistry): { set?: DesiredSet; issues: SetIssue[] } {
  const issues: SetIssue[] = [];
  const resources = new Map<string, DesiredResource>();
  const byKey = new Map<string, DesiredResource>(); // kind + natural key
  for (const r of input) {
    const prior = resources.get(r.id);
    if (prior) {
      issues.push({
        resource: r, path: ['metadata', 'name'],
        message: `duplicate id ${r.id}: also declared at ${prior.loc.file}:${prior.loc.line}:${prior.loc.col}`,
      });
      continue;
    }
    const entry = registry.lookup(r.apiVersion, r.kind);
    const sensitive = r.secretPaths.length ? [...new Set([...(entry?.sensitive ?? []), ...r.secretPaths])].sort() : (entry?.sensitive ?? []);
    const d: DesiredResource = { ...r, info: entry?.info, deps: [], sensitive };
    if (d.info) {
      const natural = kindFacts(d.info, r).key;
      const key = `${r.kind}\u0000${natural}`;
      const other = byKey.get(key);
      if (other) {
        issues.push({
          resource: r, path: ['spec'],
          message: `${r.id} and ${other.id} (${other.loc.file}:${other.loc.line}:${other.loc.col}) manage the same object "${natural}"`,
        });
        continue;
      }
      byKey.set(key, d);
    }
    resources.set(r.id, d);
  }

  const graph = new Graph();
  for (const id of resources.keys()) graph.add(id);
  for (const d of resources.values()) {
    const deps = new Set<string>();
    d.dependsOn.forEach((dep, i) => {
      if (!resources.has(dep)) {
        issues.push({ resource: d, path: ['metadata', 'dependsOn', i], message: `dependsOn names ${dep}, which is not declared in this stack` });
      } else deps.add(dep);
    });
    for (const { path, ref } of d.refs) {
      if (!resources.has(ref.target)) {
        issues.push({ resource: d, path: pointerToPath(path), message: `!ref ${ref} names ${ref.target}, which is not declared in this stack` });
      } else if (ref.target === d.id) {
        issues.push({ resource: d, path: pointerToPath(path), message: `!ref ${ref} refers to the resource itself` });
      } else deps.add(ref.target);
    }
    for (const o of d.info ? kindFacts(d.info, d).refs : []) {
      const target = byKey.get(`${o.kind}\u0000${o.key}`);
      if (target && target.id !== d.id) deps.add(target.id);
    }
    deps.delete(d.id);
    d.deps = [...deps].sort();
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
  return { set: { resources, graph, order }, issues };
}
