import type { GitRepository } from '../git/repository.js';
import type { RepoConfig } from '../manifests/repo-config.js';
import { REPO_CONFIG_FILE } from '../manifests/repo-config.js';
import type { ServiceContext } from './context.js';
import { affectedStacks, touchesEverything, underStack } from './affected.js';
import type { JobSpec } from './queue.js';
import { statusEntry, APPLY_CONTEXT } from './report.js';
import { formatDiagnostic } from '../manifests/diagnostics.js';

/**
 * The newest commit on the first-parent line from `head` back to `stop` that changes `stackPath`
 * (or the repo config): the commit whose pull request reviewed the stack's change.
 */
export async function lastTouchingCommit(repo: GitRepository, head: string, stop: string | null, stackPath: string, limit = 50): Promise<string> {
  let c = head;
  for (let i = 0; i < limit && c !== stop; i++) {
    const info = await repo.commitInfo(c);
    const parent = info.parents[0] ?? null;
    const changed = await repo.changedPaths(parent, c);
    if (touchesEverything(changed) || changed.some((p) => underStack(p, stackPath))) return c;
    if (!parent) break;
    c = parent;
  }
  return head;
}

async function stackChanged(ctx: ServiceContext, config: RepoConfig, stack: string, applied: string | null, head: string): Promise<boolean> {
  if (!applied) return true;
  try {
    return affectedStacks(config, await ctx.ws.repo.changedPaths(applied, head)).includes(stack);
  } catch {
    return true; // the applied commit is gone (history rewritten): plan to be sure
  }
}

/**
 * A new commit on the tracked branch (a push, a merge, or found by polling): every stack whose
 * manifests changed since it was last applied gets an apply job at the branch's head, with the
 * pull request that reviewed the change. Older queued applies of a stack are superseded.
 */
export async function runBranch(ctx: ServiceContext, p: { sha: string; trigger: string }): Promise<Record<string, unknown>> {
  const head = await ctx.ws.resolve();
  const at = await ctx.ws.repoAt(head);
  if (!at.repoConfig || at.diagnostics.length) {
    const why = at.diagnostics.map(formatDiagnostic).join('\n') || `${REPO_CONFIG_FILE} is missing`;
    ctx.log.error({ commit: head }, `the repository config at the branch head is invalid: ${why}`);
    if (ctx.forge) await ctx.outbox.add([statusEntry(head, APPLY_CONTEXT, 'failure', `Not applied: ${REPO_CONFIG_FILE} is invalid`)]);
    return { head, invalid: true };
  }
  const source = (await ctx.ws.repo.readFileAt(head, REPO_CONFIG_FILE))?.content.toString('utf8') ?? '';
  ctx.onRepoConfig(at.repoConfig, source, head);
  const jobs: JobSpec[] = [];
  const held = new Map((await ctx.records.holds()).map((h) => [h.stack, h]));
  for (const stack of Object.keys(at.repoConfig.stacks).sort()) {
    const state = await ctx.store.stackState(ctx.ws.key(stack));
    if (state.appliedCommit === head || held.get(stack)?.commit === head) continue;
    if (!(await stackChanged(ctx, at.repoConfig, stack, state.appliedCommit, head))) continue;
    const touching = await lastTouchingCommit(ctx.ws.repo, head, state.appliedCommit, at.repoConfig.stacks[stack].path);
    let pr = await ctx.records.mergedPr(touching);
    if (pr === null && ctx.forge) pr = (await ctx.forge.pullsForCommit(touching))[0] ?? null;
    jobs.push({
      kind: 'apply',
      lane: `stack:${stack}`,
      dedupeKey: `apply:${stack}:${head}`,
      supersede: true,
      payload: { stack, commit: head, pr, mode: 'merge', trigger: p.trigger },
    });
  }
  const ids = await ctx.queue.enqueue(jobs);
  if (ids.length) ctx.wake();
  return { head, applies: jobs.map((j) => j.payload.stack) };
}
