import { planAll } from '../../engine/plan-stacks.js';
import { applyModeAt, includesCommit, repoConfigSource, resolveChange } from '../../engine/changes.js';
import type { PlanReport, StackOutcome } from '../../forge/messages.js';
import type { ServiceContext } from '../context.js';
import { affectedStacks } from '../../plan/affected.js';
import { scheduleDiagnostics } from '../cron-check.js';
import { planEntries, statusEntry, PLAN_CONTEXT } from '../report.js';
import { done, type JobResult, type PrPlanPayload } from './specs.js';
import { ACKS_FILE } from '../../manifests/acks.js';
import { ackDiagnostics } from '../../engine/acks.js';
import type { PlanAllResult } from '../../engine/plan-stacks.js';
import { changeGraph, changesOnly } from '../../plan/change-graph.js';
import type { WorkflowView } from '../../forge/workflow-messages.js';

/** The workflow of a pull request's plans: order, the change graph (unchanged resources collapsed), stacks planned again. */
function workflowView(planned: PlanAllResult, changedStacks: string[]): WorkflowView | undefined {
  if (!planned.workflow) return undefined;
  const stacks = planned.stacks.flatMap((s) => (s.planned ? [{ name: s.stack, plan: s.planned.plan, desired: s.planned.desired }] : []));
  const graph = changesOnly(changeGraph(stacks, planned.workflow.edges, { changesOnly: true }));
  return { stacks: planned.workflow.stacks, graph, replanned: planned.workflow.stacks.filter((s) => !changedStacks.includes(s)) };
}

import type { StackPlanResult } from '../../engine/workspace.js';
import { judgePull } from '../policy.js';

/** The `pr-plan` job: plan what a pull request changes and post it. */

/**
 * Plan a pull request: the stacks it touches, at GitHub's merge ref when it merges cleanly (else
 * at its head); post one comment (edited on every push), a status and a check run; remember the
 * plan digests as the reviewed plans.
 */
export async function runPrPlan(ctx: ServiceContext, p: PrPlanPayload): Promise<JobResult> {
  // Change requests come from a forge; without one there is nothing to plan them against.
  const forge = ctx.forge;
  if (!forge) return done({ skipped: 'no forge' });
  const pull = await forge.getPull(p.pr);
  if (pull.state === 'closed') {
    // A merged PR's plans are the reviewed ones its apply compares with; a closed one's are no use.
    if (!pull.merged) await ctx.records.setPrPlans(p.pr, pull.headSha, []);
    return done({ skipped: `pull request #${p.pr} is closed` });
  }
  if (pull.baseRef !== ctx.branch) return done({ skipped: `pull request #${p.pr} targets ${pull.baseRef}` });
  const { headSha, mergeable } = pull;
  if (!p.base) {
    await ctx.outbox.add([statusEntry(headSha, PLAN_CONTEXT, 'pending', 'Planning…')]);
    ctx.wake();
  }
  const refs = forge.changeRefs(p.pr);
  const target = await resolveChange(ctx.ws, { mergeRef: refs.merge, headRef: refs.head, headSha, mergeable }, (why) =>
    ctx.log.debug({ pr: p.pr, err: why }, 'no usable merge ref; planning the head'),
  );
  if (p.base) {
    if (target.at !== 'merge') return done({ skipped: `pull request #${p.pr} has no merge ref with the branch; it is planned again on its next push` });
    if (!(await includesCommit(ctx.ws, target.base!, p.base))) {
      throw new Error(`The forge has not yet updated ${refs.merge} to include ${p.base.slice(0, 12)}; the plan is made once it has`);
    }
  }
  const at = await ctx.ws.repoAt(target.commit);
  const report: PlanReport = {
    pr: p.pr,
    commit: target.commit,
    headSha: target.head,
    at: target.at,
    repoDiagnostics: [...at.diagnostics],
    stacks: [],
    notices: [],
  };
  if (at.repoConfig && !at.diagnostics.length) {
    const source = await repoConfigSource(ctx.ws, target.commit);
    report.repoDiagnostics.push(...scheduleDiagnostics(at.repoConfig, source));
    // A pull request that edits the drift acknowledgements gets their problems at their lines; the
    // stacks' plans are made (and remembered as reviewed) all the same.
    if (target.changed.includes(ACKS_FILE)) {
      report.repoDiagnostics.push(...(await ackDiagnostics(ctx.ws, target.commit, at.repoConfig, at.registry, ctx.now?.() ?? new Date())));
    }
    const stacks = affectedStacks(at.repoConfig, target.changed);
    let planned: StackPlanResult[] = [];
    if (stacks.length) {
      // A PR's plan is what the PR changes, compared with the recorded state (as Argo CD diffs against
      // its cache): reading every live object on every push would cost seconds on a large stack. Live
      // state is read by the drift schedule and again before every apply, whose plan must still match
      // this digest; drift found then holds the apply for review.
      // Downstream stacks that use outputs these plans change are planned too (and reviewed with them).
      const all = await planAll(ctx.ws, target.commit, { stacks, refresh: false, withDependents: true });
      planned = all.stacks;
      report.repoDiagnostics.push(...all.diagnostics);
      report.stacks = all.stacks.map((s): StackOutcome => ({ stack: s.stack, plan: s.planned?.plan, diagnostics: s.diagnostics }));
      report.workflow = workflowView(all, stacks);
      for (const stack of stacks) {
        const quarantine = (await ctx.records.openRollbacks(stack)).find((r) => r.pr !== p.pr);
        if (quarantine) {
          report.notices!.push(
            `Stack \`${stack}\` is quarantined by rollback PR #${quarantine.pr}: after the merge of this pull request its change is planned but held (\`/driftless apply\` releases it) until #${quarantine.pr} is merged or closed.`,
          );
        }
        const before = target.base ? await applyModeAt(ctx.ws, target.base, stack) : null;
        const after = at.repoConfig.stacks[stack]?.apply ?? null;
        if (before && after && before !== after) {
          report.notices!.push(
            `This pull request changes \`apply\` of stack \`${stack}\` from \`${before}\` to \`${after}\`. The merge of this pull request is still judged by \`manual\`: its apply is held for \`/driftless apply\`; the new mode applies to later changes.`,
          );
        }
      }
    }
    // Judged by the base branch's policies; changes to policies or apply settings are listed.
    const judged = await judgePull(ctx, pull, target, planned, report.stacks);
    report.repoDiagnostics.push(...judged.diagnostics);
    if (judged.governance.length) report.governance = judged.governance;
    if (judged.summary) report.policy = judged.summary;
    for (const r of judged.requirements) report.notices!.push(`Requirement not met yet (checked again after the merge, before the apply): ${r}.`);
  }
  await ctx.records.setPrPlans(
    p.pr,
    target.head,
    report.stacks.filter((s) => s.plan).map((s) => ({ stack: s.stack, digest: s.plan!.digest, commit: target.commit, plan: s.plan! })),
  );
  await ctx.outbox.add(planEntries(report));
  ctx.wake();
  return done({
    pr: p.pr,
    commit: target.commit,
    at: target.at,
    stacks: report.stacks.map((s) => ({ stack: s.stack, digest: s.plan?.digest ?? null, errors: s.diagnostics.length })),
  });
}
