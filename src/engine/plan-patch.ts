/**
 * The CLI's re-plan of a stack whose kept plan (plan-reuse.ts) was made at another tree: the files
 * that differ between the two trees are loaded, old and new, and the kept plan is patched with the
 * plan of the resources they declare (plan/patch.ts), read against their records only. A one-file
 * commit in a stack of 10,000 manifests then loads two files and reads a handful of records, not
 * the whole stack. The stack's index (patch-index.ts) answers what the rest of the stack holds.
 *
 * A resource in both versions keeps its shape (shapeOf). One only in the new version is added when
 * its id and natural key are free (or held by a resource this commit removes), what it depends on
 * exists and stays, and no resource already refers to its natural key. One only in the old version
 * is removed when nothing else depends on it and something stays declared.
 *
 * Anything else (a reshaped resource, a problem in a changed file, more than PATCH_LIMIT files,
 * state that moved, a dependency cycle among added resources) returns undefined: the stack is loaded
 * and planned in full, which also reports the problems.
 */
import { splitPath } from '../git/repository.js';
import { isManifestPath, type LocatedResource } from '../manifests/loader.js';
import type { RepoConfig } from '../manifests/repo-config.js';
import type { SchemaRegistry } from '../manifests/schema-registry.js';
import { Graph } from '../dag/graph.js';
import { kindFacts } from '../plan/desired.js';
import type { Plan } from '../plan/model.js';
import { makePlan } from '../plan/planner.js';
import { desiredSubset, patchPlan, shapeOf } from '../plan/patch.js';
import type { PatchIndex } from './patch-index.js';
import type { PatchBase } from './plan-reuse.js';
import type { Workspace } from './workspace.js';

/** More changed files than this are planned in full. */
export const PATCH_LIMIT = 64;

export interface PatchRequest {
  commit: string;
  repoConfig: RepoConfig;
  registry: SchemaRegistry;
  stack: string;
  /** The stack's tree at `commit`. */
  tree: string | null;
  kept: { plan: Plan; base: PatchBase; index: PatchIndex };
}

export interface Patched {
  plan: Plan;
  /** Resources were added or removed: the kept index no longer describes the stack. */
  reshaped: boolean;
}

/** The stack's plan at `commit`, patched from the kept one; undefined when it must be planned in full. */
export async function patchedPlan(ws: Workspace, req: PatchRequest): Promise<Patched | undefined> {
  const { kept, registry, stack } = req;
  if (!req.tree) return undefined;
  const prefix = splitPath(req.repoConfig.stacks[stack].path).join('/');
  const full = (p: string) => (prefix ? `${prefix}/${p}` : p);
  const changed = (await ws.repo.changedFiles(kept.base.tree, req.tree)).filter((c) => isManifestPath(full(c.path)));
  if (changed.length > PATCH_LIMIT) return undefined;
  const load = (side: 'from' | 'to') =>
    ws.loader.loadFiles(
      changed.flatMap((c) => (c[side] ? [{ path: full(c.path), oid: c[side]! }] : [])),
      registry,
      { persist: false },
    );
  const before = await load('from');
  const after = await load('to');
  if (before.diagnostics.length || after.diagnostics.length) return undefined;
  const targets = req.repoConfig.stacks[stack].targets;
  const served = (r: LocatedResource) => {
    const provider = registry.providerFor(r.apiVersion);
    const target = provider && ws.config.targets[targets[provider.name] ?? ''];
    return !!provider && target?.provider === provider.name;
  };
  const split = splitChanges(before.resources, after.resources, registry, kept.index, served);
  if (!split) return undefined;
  const { removed, added, depsOf } = split;
  const count = kept.plan.summary.noop + added.length - removed.length;
  if (count <= 0) return undefined; // the full plan says whether deleting everything is allowed

  const state = await ws.recordedSome(stack, [...after.resources.map((r) => r.id), ...removed]);
  if (state.serial !== kept.plan.stateSerial || state.appliedCommit !== kept.plan.appliedCommit) return undefined;
  const part = makePlan({
    repo: ws.repoName,
    stack,
    commit: req.commit,
    prune: req.repoConfig.stacks[stack].prune,
    allowDeleteAll: true, // the part may delete all it holds; the stack keeps `count` (checked above)
    desired: desiredSubset(after.resources, registry, depsOf),
    recorded: state.resources,
    serial: state.serial,
    appliedCommit: state.appliedCommit,
    secret: ws.secret,
  });
  const orphans = new Set(kept.plan.orphans);
  for (const id of added) orphans.delete(id); // declared again
  return { plan: patchPlan(kept.plan, part.plan, req.commit, { count, orphans: [...orphans] }), reshaped: added.length + removed.length > 0 };
}

/**
 * The changed files' resources, old and new, as edits, additions and removals that the patch may
 * take (see the module comment), with the dependencies of each new one; undefined when it may not.
 */
function splitChanges(
  before: LocatedResource[],
  after: LocatedResource[],
  registry: SchemaRegistry,
  index: PatchIndex,
  served: (r: LocatedResource) => boolean,
): { removed: string[]; added: string[]; depsOf: (id: string) => string[] } | undefined {
  const old = new Map(before.map((r) => [r.id, r]));
  const now = new Map(after.map((r) => [r.id, r]));
  if (old.size !== before.length || now.size !== after.length) return undefined; // an id twice: the full plan says where
  const removed = [...old.keys()].filter((id) => !now.has(id));
  const gone = new Set(removed);
  for (const id of removed) if (index.dependedOn(id)) return undefined;
  const added: string[] = [];
  const deps = new Map<string, string[]>();
  const graph = new Graph();
  for (const r of after) {
    const shape = shapeOf(r, registry);
    if (shape === null) return undefined;
    const was = old.get(r.id);
    if (was) {
      if (shape !== shapeOf(was, registry)) return undefined;
      continue;
    }
    if (index.has(r.id) || !served(r)) return undefined; // declared in a file this commit did not change; a provider or target missing
    added.push(r.id);
    const d = new Set<string>();
    for (const dep of r.dependsOn) {
      if (gone.has(dep) || (!now.has(dep) && !index.has(dep))) return undefined;
      d.add(dep);
    }
    const info = registry.lookup(r.apiVersion, r.kind)?.info;
    if (info) {
      const facts = kindFacts(info, r);
      const holder = index.holderOf(r.kind, facts.key);
      if ((holder && !gone.has(holder)) || index.wanted(r.kind, facts.key)) return undefined;
      for (const ref of facts.refs) {
        const target = after.find((x) => x.id !== r.id && x.kind === ref.kind && keyOf(x, registry) === ref.key);
        const existing = target ? target.id : index.holderOf(ref.kind, ref.key);
        if (existing && gone.has(existing)) return undefined;
        if (existing && existing !== r.id) d.add(existing);
      }
    }
    d.delete(r.id);
    deps.set(r.id, [...d].sort());
  }
  // Natural keys among the added resources, and cycles through them, are the full build's to report.
  const keys = new Set<string>();
  for (const id of added) {
    const r = now.get(id)!;
    const k = `${r.kind}\u0000${keyOf(r, registry) ?? id}`;
    if (keys.has(k)) return undefined;
    keys.add(k);
    graph.add(id);
  }
  for (const id of added) for (const dep of deps.get(id)!) if (deps.has(dep)) graph.connect(id, dep);
  if (!graph.topologicalOrder()) return undefined;
  return { removed, added, depsOf: (id) => deps.get(id) ?? index.depsOf(id) };
}

function keyOf(r: LocatedResource, registry: SchemaRegistry): string | undefined {
  const info = registry.lookup(r.apiVersion, r.kind)?.info;
  return info ? kindFacts(info, r).key : undefined;
}
