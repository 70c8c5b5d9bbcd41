import { Mirror } from '../git/mirror.js';
import { git, fs } from '../git/repository.js';
import { REPO_CONFIG_FILE } from '../manifests/repo-config.js';
import { planAll } from '../engine/operations.js';
import type { PlanReport, StackOutcome } from '../forge/comment.js';
import type { ServiceContext } from './context.js';
import { affectedStacks } from './affected.js';
import { scheduleDiagnostics } from './cron-check.js';
import { planEntries, statusEntry, PLAN_CONTEXT } from './report.js';

export interface PrPlanPayload {
  pr: number;
  headSha: string;
  trigger: string;
  /**
   * Planning again because the branch moved to this commit (an apply changed the recorded state):
   * only at GitHub's merge ref once it includes this commit, since a plan of the PR without what was
   * merged since would show it deleted.
   */
  base?: string;
}

/** The commit to plan for a pull request and the paths it changes. */
async function prCommit(
  ctx: ServiceContext,
  pr: number,
  headSha: string,
  mergeable: boolean | null,
): Promise<{ commit: string; at: 'merge' | 'head'; head: string; changed: string[]; base?: string }> {
  const repo = ctx.ws.repo;
  if (mergeable !== false) {
    // GitHub's merge ref carries the base and the head as its parents: one fetch is enough when it
    // merges the head GitHub reports (it updates the ref after a push in its own time).
    try {
      const known = await ctx.ws.resolve(undefined, false).catch(() => undefined);
      const merge = repo instanceof Mirror ? await repo.fetchRef(`refs/pull/${pr}/merge`, known) : await repo.resolve(`refs/pull/${pr}/merge`);
      const info = await repo.commitInfo(merge);
      if (info.parents.length === 2 && info.parents[1] === headSha) {
        return { commit: merge, at: 'merge', head: headSha, changed: await repo.changedPaths(info.parents[0], merge), base: info.parents[0] };
      }
    } catch (err) {
      ctx.log.debug({ pr, err: (err as Error).message }, 'no usable merge ref; planning the head');
    }
  }
  const baseHead = await ctx.ws.resolve(); // fetches the branches (a mirror)
  let head = headSha;
  if (repo instanceof Mirror) head = await repo.fetchRef(`refs/pull/${pr}/head`, baseHead);
  else head = await repo.resolve(`refs/pull/${pr}/head`).catch(() => headSha);
  let base: string | null = null;
  try {
    const bases = await git.findMergeBase({ fs, gitdir: repo.gitdir, oids: [baseHead, head], cache: repo.cache });
    base = (bases[0] as string | undefined) ?? null;
  } catch {
    base = null;
  }
  return { commit: head, at: 'head', head, changed: await repo.changedPaths(base ?? baseHead, head) };
}

/**
 * Plan a pull request: the stacks it touches, at GitHub's merge ref when it merges cleanly (else
 * at its head); post one comment (edited on every push), a status and a check run; remember the
 * plan digests as the reviewed plans.
 */
export async function runPrPlan(ctx: ServiceContext, p: PrPlanPayload): Promise<Record<string, unknown>> {
  let headSha = p.headSha;
  let mergeable: boolean | null = null;
  if (ctx.forge) {
    const pull = await ctx.forge.getPull(p.pr);
    if (pull.state === 'closed') {
      // A merged PR's plans are the reviewed ones its apply compares with; a closed one's are no use.
      if (!pull.merged) await ctx.records.setPrPlans(p.pr, pull.headSha, []);
      return { skipped: `pull request #${p.pr} is closed` };
    }
    if (pull.baseRef !== ctx.branch) return { skipped: `pull request #${p.pr} targets ${pull.baseRef}` };
    headSha = pull.headSha;
    mergeable = pull.mergeable;
  }
  if (!p.base) {
    await ctx.outbox.add([statusEntry(headSha, PLAN_CONTEXT, 'pending', 'Planning…')]);
    ctx.wake();
  }
  const target = await prCommit(ctx, p.pr, headSha, mergeable);
  if (p.base) {
    if (target.at !== 'merge') return { skipped: `pull request #${p.pr} has no merge ref with the branch; it is planned again on its next push` };
    if (!(await includesCommit(ctx, target.base!, p.base))) {
      throw new Error(`GitHub has not yet updated refs/pull/${p.pr}/merge to include ${p.base.slice(0, 12)}; the plan is made once it has`);
    }
  }
  const at = await ctx.ws.repoAt(target.commit);
  const report: PlanReport = { pr: p.pr, commit: target.commit, headSha: target.head, at: target.at, repoDiagnostics: [...at.diagnostics], stacks: [] };
  if (at.repoConfig && !at.diagnostics.length) {
    const source = (await ctx.ws.repo.readFileAt(target.commit, REPO_CONFIG_FILE))?.content.toString('utf8') ?? '';
    report.repoDiagnostics.push(...scheduleDiagnostics(at.repoConfig, source));
    const stacks = affectedStacks(at.repoConfig, target.changed);
    if (stacks.length) {
      // A PR's plan is what the PR changes, compared with the recorded state (as Argo CD diffs against
      // its cache): reading every live object on every push would cost seconds on a large stack. Live
      // state is read by the drift schedule and again before every apply, whose plan must still match
      // this digest; drift found then holds the apply for review.
      const planned = await planAll(ctx.ws, target.commit, { stacks, refresh: false });
      report.repoDiagnostics.push(...planned.diagnostics);
      report.stacks = planned.stacks.map((s): StackOutcome => ({ stack: s.stack, plan: s.planned?.plan, diagnostics: s.diagnostics }));
    }
  }
  await ctx.records.setPrPlans(
    p.pr,
    target.head,
    report.stacks.filter((s) => s.plan).map((s) => ({ stack: s.stack, digest: s.plan!.digest, commit: target.commit })),
  );
  await ctx.outbox.add(planEntries(report));
  ctx.wake();
  return {
    pr: p.pr,
    commit: target.commit,
    at: target.at,
    stacks: report.stacks.map((s) => ({ stack: s.stack, digest: s.plan?.digest ?? null, errors: s.diagnostics.length })),
  };
}

/** Is `ancestor` the commit `oid` or one of its ancestors? */
async function includesCommit(ctx: ServiceContext, oid: string, ancestor: string): Promise<boolean> {
  if (oid === ancestor) return true;
  const repo = ctx.ws.repo;
  try {
    return await git.isDescendent({ fs, gitdir: repo.gitdir, oid, ancestor, depth: -1, cache: repo.cache });
  } catch {
    return false;
  }
}
