/**
 * The CLI's re-plan of a stack whose kept plan (plan-reuse.ts) was made at another tree: the files
 * that differ between the two trees are loaded, old and new, and when each declares the same
 * resources of the same shape, the kept plan is patched with the plan of those resources alone
 * (plan/patch.ts), read against their records only. A one-file commit in a stack of 10,000
 * manifests then loads two files and reads a handful of records, not the whole stack.
 *
 * Anything else (a file added or removed, a resource added, removed or reshaped, a file with a
 * problem, more than PATCH_LIMIT files, state that moved) returns undefined: the stack is loaded
 * and planned in full, which also reports the problems.
 */
import { splitPath } from '../git/repository.js';
import { isManifestPath } from '../manifests/loader.js';
import type { RepoConfig } from '../manifests/repo-config.js';
import type { SchemaRegistry } from '../manifests/schema-registry.js';
import type { Plan } from '../plan/model.js';
import { makePlan } from '../plan/planner.js';
import { desiredSubset, patchPlan, shapeOf } from '../plan/patch.js';
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
  kept: { plan: Plan; base: PatchBase; depsOf: (id: string) => string[] };
}

/** The stack's plan at `commit`, patched from the kept one; undefined when it must be planned in full. */
export async function patchedPlan(ws: Workspace, req: PatchRequest): Promise<Plan | undefined> {
  const { kept, registry, stack } = req;
  if (!req.tree) return undefined;
  const prefix = splitPath(req.repoConfig.stacks[stack].path).join('/');
  const full = (p: string) => (prefix ? `${prefix}/${p}` : p);
  const changed = (await ws.repo.changedFiles(kept.base.tree, req.tree)).filter((c) => isManifestPath(full(c.path)));
  if (changed.length > PATCH_LIMIT || changed.some((c) => !c.from || !c.to)) return undefined;
  const before = await ws.loader.loadFiles(
    changed.map((c) => ({ path: full(c.path), oid: c.from! })),
    registry,
    { persist: false },
  );
  const after = await ws.loader.loadFiles(
    changed.map((c) => ({ path: full(c.path), oid: c.to! })),
    registry,
    { persist: false },
  );
  if (before.diagnostics.length || after.diagnostics.length || before.resources.length !== after.resources.length) return undefined;
  for (let i = 0; i < after.resources.length; i++) {
    const shape = shapeOf(after.resources[i], registry);
    if (shape === null || shape !== shapeOf(before.resources[i], registry)) return undefined;
  }
  const ids = after.resources.map((r) => r.id);
  const state = await ws.recordedSome(stack, ids);
  if (state.serial !== kept.plan.stateSerial || state.appliedCommit !== kept.plan.appliedCommit) return undefined;
  const part = makePlan({
    repo: ws.repoName,
    stack,
    commit: req.commit,
    prune: req.repoConfig.stacks[stack].prune,
    desired: desiredSubset(after.resources, registry, kept.depsOf),
    recorded: state.resources,
    serial: state.serial,
    appliedCommit: state.appliedCommit,
    secret: ws.secret,
  });
  return patchPlan(kept.plan, part.plan, req.commit);
}
