import { REPO_CONFIG_FILE } from '../../manifests/repo-config.js';
import { formatDiagnostic } from '../../manifests/diagnostics.js';
import { lastCommitTouchingStack, repoConfigSource, stackChangedSince } from '../../engine/changes.js';
import { stackStatus } from '../../engine/status.js';
import type { ServiceContext } from '../context.js';
import { ancestors, declaredStackGraph } from '../../manifests/stack-deps.js';
import { statusEntry, APPLY_CONTEXT } from '../report.js';
import { applyJob, done, type JobResult, type BranchPayload, type TypedJobSpec } from './specs.js';

/**
 * The `branch` job. A new commit on the tracked branch (a push, a merge, or found by polling): every
 * stack whose manifests changed since it was last applied gets an apply job at the branch's head,
 * with the pull request that reviewed the change. Older queued applies of a stack are superseded.
 */
export async function runBranch(ctx: ServiceContext, p: BranchPayload): Promise<JobResult> {
  const head = await ctx.ws.resolve();
  const at = await ctx.ws.repoAt(head);
  if (!at.repoConfig || at.diagnostics.length) {
    const why = at.diagnostics.map(formatDiagnostic).join('\n') || `${REPO_CONFIG_FILE} is missing`;
    ctx.log.error({ commit: head }, `the repository config at the branch head is invalid: ${why}`);
    if (ctx.forge) await ctx.outbox.add([statusEntry(head, APPLY_CONTEXT, 'failure', `Not applied: ${REPO_CONFIG_FILE} is invalid`)]);
    return done({ head, invalid: true });
  }
  ctx.onRepoConfig(at.repoConfig, await repoConfigSource(ctx.ws, head), head);
  const jobs: TypedJobSpec[] = [];
  const held = new Map((await ctx.records.holds()).map((h) => [h.stack, h]));
  const prs = new Map<string, number | null>();
  for (const stack of Object.keys(at.repoConfig.stacks).sort()) {
    const state = await stackStatus(ctx.ws, stack);
    if (state.appliedCommit === head || held.get(stack)?.commit === head) continue;
    if (!(await stackChangedSince(ctx.ws, at.repoConfig, stack, state.appliedCommit, head))) continue;
    const touching = await lastCommitTouchingStack(ctx.ws, head, state.appliedCommit, at.repoConfig.stacks[stack].path);
    let pr = await ctx.records.mergedPr(touching);
    if (pr === null && ctx.forge) pr = (await ctx.forge.pullsForCommit(touching))[0] ?? null;
    jobs.push(applyJob({ stack, commit: head, pr, mode: 'merge', trigger: p.trigger }, `apply:${stack}:${head}`));
    prs.set(stack, pr);
  }
  // A stack after one that applies may take its outputs: it is applied too (after it, in workflow
  // order; a plan with nothing to do records nothing), reviewed on the same pull request.
  const graph = declaredStackGraph(at.repoConfig);
  for (const stack of graph.topologicalOrder() ?? []) {
    if (prs.has(stack) || held.get(stack)?.commit === head) continue;
    const from = ancestors(graph, stack).find((a) => prs.has(a));
    if (from === undefined) continue;
    if ((await stackStatus(ctx.ws, stack)).appliedCommit === head) continue;
    prs.set(stack, prs.get(from)!);
    jobs.push(applyJob({ stack, commit: head, pr: prs.get(from)!, mode: 'merge', trigger: p.trigger }, `apply:${stack}:${head}`));
  }
  const ids = await ctx.queue.enqueue(jobs);
  if (ids.length) ctx.wake();
  return done({ head, applies: jobs.map((j) => (j.payload as { stack: string }).stack) });
}
