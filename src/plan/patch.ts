/**
 * A stack's plan patched by the files a commit changed, instead of made again from every manifest:
 * what lets the CLI re-plan a large stack after a one-file commit without loading it (see
 * engine/plan-patch.ts). It holds only where the result is the plan a full build would make:
 *
 * - the base is a kept plan with nothing to do (every declared resource matched its record), of a
 *   stack with no `!ref`, no `!secret`, no trigger and no resource spread over hosts;
 * - a resource the changed files still declare keeps its shape (`shapeOf`): id, kind,
 *   dependencies, natural key and the kind's implicit references; one they add or remove changes
 *   no other resource's dependencies (engine/plan-patch.ts checks that against the stack's index);
 * - state is as it was when the base was made (the same store fingerprint and serial).
 *
 * Then every other resource is unchanged, and each changed, added or removed one is planned alone
 * against its record, as makePlan would plan it within the whole set. Pure.
 */
import { Graph } from '../dag/graph.js';
import type { LocatedResource } from '../manifests/loader.js';
import type { SchemaRegistry } from '../manifests/schema-registry.js';
import { NONE } from '../manifests/validate.js';
import { desiredResource, kindFacts, ownSensitive, propagateSensitivity, type DesiredResource, type DesiredSet } from './desired.js';
import type { Plan } from './model.js';

/**
 * What the set's structure takes from a resource (see the module comment), as one string; null
 * when the resource is outside what a patch may hold: a `!ref` or `!secret`, a trigger, or a spec
 * its kind refuses (the full build reports that).
 */
export function shapeOf(r: LocatedResource, registry: SchemaRegistry): string | null {
  if (r.refs.length || r.secretPaths.length) return null;
  const info = registry.lookup(r.apiVersion, r.kind)?.info;
  const facts = info ? kindFacts(info, r) : undefined;
  if (facts && (facts.problems.length || facts.triggers.length)) return null;
  return JSON.stringify([r.id, r.apiVersion, r.kind, r.dependsOn, facts?.key ?? null, facts?.refs ?? []]);
}

/**
 * The desired set of just these resources (each of the base's shape), with the dependencies the
 * base's full build gave them: planned alone, each compares with its record as within the whole set.
 */
export function desiredSubset(input: LocatedResource[], registry: SchemaRegistry, depsOf: (id: string) => string[]): DesiredSet {
  const resources = new Map<string, DesiredResource>();
  const graph = new Graph();
  for (const r of input) {
    const entry = registry.lookup(r.apiVersion, r.kind);
    resources.set(r.id, desiredResource(r, entry?.info, depsOf(r.id), ownSensitive(r, entry?.sensitive), NONE));
    graph.add(r.id);
  }
  const order = [...resources.keys()];
  propagateSensitivity(resources, order);
  return { resources, graph, order };
}

/**
 * The base plan (nothing to do) at `commit`, with the changes of `part`: the plan of the changed,
 * added and removed resources alone, made against the same state. Everything else in the stack
 * stays unchanged. `count`: the resources declared now; `orphans`: the base's, less those declared
 * again (the part's are added).
 */
export function patchPlan(base: Plan, part: Plan, commit: string, stack: { count: number; orphans: string[] }): Plan {
  const s = part.summary;
  return {
    ...base,
    commit,
    changes: part.changes,
    orphans: [...new Set([...stack.orphans, ...part.orphans])].sort(),
    errors: part.errors,
    summary: { create: s.create, update: s.update, replace: s.replace, delete: s.delete, noop: stack.count - s.create - s.update - s.replace },
    digest: part.digest,
  };
}
