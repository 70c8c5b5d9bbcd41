import { REPO_CONFIG_FILE, type RepoConfig } from '../manifests/repo-config.js';
import { affectedStacks, touchesEverything, underStack } from '../plan/affected.js';
import { lastTouchingCommit } from '../git/history.js';
import type { Workspace } from './workspace.js';

/** Repository questions the service asks about changes: what a change request is, what a commit touches. */

export interface ChangeTarget {
  /** The commit to plan: the merge ref's commit, or the head. */
  commit: string;
  at: 'merge' | 'head';
  head: string;
  /** Paths the change request changes. */
  changed: string[];
  /** The base commit: what the merge ref merges into (at: 'merge'), or the merge base with the branch (at: 'head'). */
  base?: string;
}

/**
 * The commit to plan for a change request and the paths it changes: the forge's merge ref when it
 * merges the reported head (its parents are the base and the head, so one fetch is enough), else
 * the head, compared with its merge base with the tracked branch.
 */
export async function resolveChange(
  ws: Workspace,
  o: { mergeRef: string; headRef: string; headSha: string; mergeable: boolean | null },
  onNoMerge?: (why: string) => void,
): Promise<ChangeTarget> {
  const repo = ws.repo;
  if (o.mergeable !== false) {
    try {
      const known = await ws.resolve(undefined, false).catch(() => undefined);
      const merge = await repo.fetchChangeRef(o.mergeRef, known);
      const info = await repo.commitInfo(merge);
      if (info.parents.length === 2 && info.parents[1] === o.headSha) {
        return { commit: merge, at: 'merge', head: o.headSha, changed: await repo.changedPaths(info.parents[0], merge), base: info.parents[0] };
      }
    } catch (err) {
      onNoMerge?.((err as Error).message);
    }
  }
  const baseHead = await ws.resolve(); // brings the branches up to date
  const head = await repo.fetchChangeRef(o.headRef, baseHead).catch(() => o.headSha);
  const base = await repo.mergeBase(baseHead, head);
  return { commit: head, at: 'head', head, changed: await repo.changedPaths(base ?? baseHead, head), base: base ?? baseHead };
}

/** Is `ancestor` the commit `oid` or one of its ancestors? */
export function includesCommit(ws: Workspace, oid: string, ancestor: string): Promise<boolean> {
  return ws.repo.includes(oid, ancestor);
}

/** The text of driftless.yaml at a commit ('' when absent): for positions and the drift schedules. */
export async function repoConfigSource(ws: Workspace, commit: string): Promise<string> {
  return (await ws.repo.readFileAt(commit, REPO_CONFIG_FILE))?.content.toString('utf8') ?? '';
}

/** Did the stack change between the applied commit and `head`? (True when the applied commit is gone.) */
export async function stackChangedSince(ws: Workspace, config: RepoConfig, stack: string, applied: string | null, head: string): Promise<boolean> {
  if (!applied) return true;
  try {
    return affectedStacks(config, await ws.repo.changedPaths(applied, head)).includes(stack);
  } catch {
    return true; // the applied commit is gone (history rewritten): plan to be sure
  }
}

/**
 * The newest first-parent commit from `head` back to `stop` that changes the stack (or the repo
 * config): the commit whose change request reviewed the stack's change.
 */
export function lastCommitTouchingStack(ws: Workspace, head: string, stop: string | null, stackPath: string): Promise<string> {
  return lastTouchingCommit(ws.repo, head, stop, (changed) => touchesEverything(changed) || changed.some((p) => underStack(p, stackPath)));
}

/** Author of a commit, as `Name <email>`, or null when it cannot be read. */
export async function commitAuthor(ws: Workspace, commit: string): Promise<string | null> {
  const info = await ws.repo.commitInfo(commit).catch(() => null);
  return info ? `${info.author} <${info.email}>` : null;
}

/** A stack's `apply` mode at a commit, or null when the stack (or a valid config) is not there. */
export async function applyModeAt(ws: Workspace, commit: string, stack: string): Promise<'auto' | 'manual' | null> {
  try {
    const at = await ws.repoAt(commit);
    return at.repoConfig?.stacks[stack]?.apply ?? null;
  } catch {
    return null;
  }
}

/**
 * The `apply` mode a change to the stack is judged by: a change cannot loosen the rule that judges
 * it, so the mode in force before it (at `base`) counts too, and `manual` on either side wins.
 */
export async function governingApplyMode(ws: Workspace, base: string | null, commit: string, stack: string): Promise<'auto' | 'manual'> {
  const after = (await applyModeAt(ws, commit, stack)) ?? 'manual';
  const before = base ? await applyModeAt(ws, base, stack) : null;
  return before === 'manual' || after === 'manual' ? 'manual' : 'auto';
}

/** The first parent of a commit, or null (a root commit, or unreadable). */
export async function firstParent(ws: Workspace, commit: string): Promise<string | null> {
  const info = await ws.repo.commitInfo(commit).catch(() => null);
  return info?.parents[0] ?? null;
}
