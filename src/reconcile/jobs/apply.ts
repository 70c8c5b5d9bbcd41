import { applyStack, digestMismatch, type ApplyGate, type ApplyOutcome } from '../../engine/apply-stack.js';
import { commitAuthor, firstParent, governingApplyMode } from '../../engine/changes.js';
import { interruptedApplies, recordInvalid, stackStatus } from '../../engine/status.js';
import { formatDiagnostic } from '../../manifests/diagnostics.js';
import { LockedError } from '../../state/store.js';
import type { Change, Plan } from '../../plan/model.js';
import { planDigest } from '../../plan/planner.js';
import { checkRemainder } from '../../plan/remainder.js';
import type { ServiceContext } from '../context.js';
import type { RepoConfig } from '../../manifests/repo-config.js';
import { ancestors, declaredStackGraph } from '../../manifests/stack-deps.js';
import { recordWaiting, upstreamOf, workflowProgress } from '../../engine/upstream.js';
import { progressEntry, waitingEntries } from '../workflow-report.js';
import { appliedEntries, holdEntries, invalidNoteEntry, refusedEntries } from '../report.js';
import { done, prPlanJob, requeue, type ApplyPayload, type JobResult } from './specs.js';
import { type ApplyJudgement, judgeApply, policyRecords } from '../policy.js';

/** The `apply` job: one stack at one commit, after a merge (guarded by the reviewed plan) or on `/driftless apply`. */

const MANUAL = 'This stack applies on command only (`apply: manual`).';

async function hold(ctx: ServiceContext, p: ApplyPayload, plan: Plan, reason: string): Promise<JobResult> {
  await ctx.records.setHold({ stack: p.stack, commit: p.commit, pr: p.pr, digest: plan.digest, reason });
  if (p.pr && p.mode === 'merge') await ctx.records.forgetPrPlan(p.pr, p.stack); // the hold keeps its own digest
  if (ctx.forge) await ctx.outbox.add(holdEntries({ stack: p.stack, commit: p.commit, pr: p.pr, plan, reason }));
  ctx.log.info({ stack: p.stack, commit: p.commit, pr: p.pr }, `apply held: ${reason}`);
  ctx.wake();
  return done({ held: reason, digest: plan.digest });
}

async function refuse(ctx: ServiceContext, p: ApplyPayload, why: string): Promise<JobResult> {
  if (ctx.forge) await ctx.outbox.add(refusedEntries(p.stack, p.commit, p.pr, why));
  ctx.log.warn({ stack: p.stack, commit: p.commit }, `not applied: ${why}`);
  ctx.wake();
  return done({ refused: why });
}

/** An invalid commit: refused as above, and recorded as a run with outcome `invalid` and a git note saying why. */
async function invalid(ctx: ServiceContext, p: ApplyPayload, errors: string): Promise<JobResult> {
  const runId = await recordInvalid(ctx.ws, p.stack, { commit: p.commit, trigger: p.trigger, pr: p.pr, actor: p.actor ?? null, errors });
  await ctx.outbox.add([invalidNoteEntry({ stack: p.stack, commit: p.commit, pr: p.pr, runId, errors, time: new Date().toISOString() })]);
  await refuse(ctx, p, errors);
  return done({ refused: errors, run: runId, outcome: 'invalid' });
}

/**
 * The stack's recorded state moved: the plans posted on other open pull requests that include it
 * were made against the old state, so they are planned again (their comments are edited).
 */
async function replanOpenPulls(ctx: ServiceContext, p: ApplyPayload, runId: number): Promise<void> {
  if (!ctx.forge) return;
  const stale = (await ctx.records.prsPlanning(p.stack)).filter((x) => x.pr !== p.pr);
  if (!stale.length) return;
  await ctx.queue.enqueue(
    stale.map((x) => prPlanJob(x.pr, x.headSha, `stack ${p.stack} applied at ${p.commit.slice(0, 12)}`, `pr-plan:${x.pr}:after-run:${runId}`, p.commit)),
  );
  ctx.log.info({ stack: p.stack, prs: stale.map((x) => x.pr) }, 'planning open pull requests again: the stack changed under them');
}

async function report(ctx: ServiceContext, p: ApplyPayload, r: ApplyOutcome, judged?: ApplyJudgement): Promise<JobResult> {
  const result = r.result!;
  if (judged?.report) {
    const { report: rep, overrides } = judged;
    await policyRecords(ctx).setRunResult(result.runId, { stack: p.stack, commit: p.commit, digest: rep.digest, report: { ...rep, overrides } });
  }
  await ctx.records.clearHold(p.stack);
  // A run cut short by a shutdown is resumed by the next process: the reviewed plan is kept for it.
  if (p.pr && result.outcome !== 'interrupted') await ctx.records.forgetPrPlan(p.pr, p.stack);
  // A resumed apply reports even when nothing was left to do: the interrupted run never did.
  if (result.outcome !== 'no-changes' || r.resumes) {
    await replanOpenPulls(ctx, p, result.runId);
    const rolledBack = p.pr ? await ctx.records.rollback(p.pr) : null;
    const entries = appliedEntries({
      stack: p.stack,
      commit: p.commit,
      pr: p.pr,
      actor: p.actor ?? null,
      author: await commitAuthor(ctx.ws, p.commit),
      result,
      time: new Date().toISOString(),
      ...(r.resumes ? { resumes: r.resumes } : {}),
      ...(judged?.lines.length ? { policy: judged.lines } : {}),
      ...(rolledBack && rolledBack.stack === p.stack && rolledBack.state !== 'closed'
        ? { rollback: { target: rolledBack.target, undoes: rolledBack.undoes.map((u) => u.sha) } }
        : {}),
    });
    // Without a forge only the audit note is written.
    await ctx.outbox.add(ctx.forge ? entries : entries.filter((e) => e.op.type === 'git-note'));
    ctx.wake();
  }
  ctx.log.info({ stack: p.stack, commit: p.commit, run: result.runId, outcome: result.outcome }, `applied stack ${p.stack}: ${result.outcome}`);
  // Stopped by a shutdown: the job goes back to the queue; the next process plans what is left.
  if (result.outcome === 'interrupted') return requeue('interrupted by shutdown', 0);
  return done({ run: result.runId, outcome: result.outcome });
}

/** An apply of the reviewed plan at the merge commit that a crash or a shutdown cut short. */
export interface CutShort {
  /** Its runs, oldest first. */
  runs: number[];
  /** The reviewed plan's changes. */
  reviewed: Change[];
  /** The resources its journal shows it worked on. */
  done: ReadonlySet<string>;
}

/**
 * The gate of an apply after a merge. With a forge, the fresh plan must equal the plan reviewed on
 * the pull request (same digest) and the stack must say `apply: auto`; otherwise a plan that changes
 * anything is held for `/driftless apply` (a plan with no change always proceeds). After an apply of the reviewed plan was cut short
 * (`cutShort` finds it, asked only when the digests differ), the fresh plan may also be what is left
 * of the reviewed plan: the apply resumes. Without a forge there is no review: `apply: auto` stacks
 * apply directly, `apply: manual` ones are held. Pure of I/O but for `cutShort`.
 */
export function mergeGate(o: {
  forge: boolean;
  auto: boolean;
  reviewed: string | null;
  pr: number | null;
  stack: string;
  commit: string;
  cutShort?: () => Promise<CutShort | null>;
}): ApplyGate {
  return async (plan) => {
    const changes = plan.changes.length > 0 || plan.errors.length > 0;
    // A plan that changes nothing cannot do what was not reviewed (e.g. the drift a merged adoption wrote into the manifests).
    if (!changes) return { proceed: true };
    if (o.forge && o.auto && o.reviewed) {
      if (plan.digest === o.reviewed) return { proceed: true };
      const why = digestMismatch(o.commit, plan, o.reviewed);
      if (plan.errors.length) return { proceed: false, refuse: why };
      const cut = await o.cutShort?.();
      if (cut) {
        const rest = checkRemainder(cut.reviewed, cut.done, plan.changes);
        if (rest.same) return { proceed: true, resumes: cut.runs };
        const runs = cut.runs.join(', ');
        return {
          proceed: false,
          hold: `The plan at the merge commit differs from the plan reviewed on #${o.pr} (${why}), and it is not what is left of it after the apply interrupted in run ${runs}: ${rest.difference}.`,
        };
      }
      return { proceed: false, hold: `The plan at the merge commit differs from the plan reviewed on #${o.pr} (${why}).` };
    }
    if (!changes || (!o.forge && o.auto)) return { proceed: true };
    if (!o.auto) return { proceed: false, hold: MANUAL };
    return {
      proceed: false,
      hold: o.pr ? `No plan for stack \`${o.stack}\` was reviewed on #${o.pr}.` : 'No reviewed plan: the commit was not merged through a pull request.',
    };
  };
}

/** The gate of `/driftless apply`: exactly the plan that was held. */
export function releaseGate(expect: string | undefined, commit: string): ApplyGate {
  return (plan) => {
    if (!expect || plan.digest === expect) return { proceed: true };
    const why = digestMismatch(commit, plan, expect);
    if (plan.errors.length) return { proceed: false, refuse: why };
    return { proceed: false, hold: `The plan changed again since the apply was requested (${why}).` };
  };
}

/**
 * The apply of the reviewed plan that a crash or a shutdown cut short at this commit, if any (asked
 * after crash recovery): its interrupted runs, one of them with the reviewed plan's digest, and the
 * reviewed plan as posted on the pull request.
 */
async function cutShort(ctx: ServiceContext, p: ApplyPayload, digest: string | null): Promise<CutShort | null> {
  if (!p.pr || !digest) return null;
  const { runs, touched } = await interruptedApplies(ctx.ws, p.stack, p.commit, p.pr);
  if (!runs.some((r) => r.digest === digest)) return null;
  const posted = (await ctx.records.prPlans(p.pr)).find((x) => x.stack === p.stack && x.digest === digest)?.plan as Plan | null | undefined;
  // Plans posted before they were kept whole cannot be resumed (nor can one that is not the digest's).
  if (!posted?.changes || planDigest(p.stack, posted.changes) !== digest) return null;
  return { runs: runs.map((r) => r.id), reviewed: posted.changes, done: touched };
}

export async function runApply(ctx: ServiceContext, p: ApplyPayload): Promise<JobResult> {
  const at = await ctx.ws.repoAt(p.commit);
  const cfg = at.repoConfig?.stacks[p.stack];
  if (!at.repoConfig || !cfg) return done({ skipped: `no stack ${p.stack} at ${p.commit.slice(0, 12)}` });
  const state = await stackStatus(ctx.ws, p.stack);
  if (state.appliedCommit === p.commit && p.mode === 'merge') return done({ skipped: 'already applied' });
  // Never against an upstream stack older than this commit: wait for it, or say what it waits on.
  const holds = new Set((await ctx.records.holds()).map((h) => h.stack));
  const upstream = await upstreamOf(ctx.ws, at.repoConfig, p.stack, p.commit, holds);
  if (!upstream.ready) {
    if (upstream.reason === 'pending' && p.mode === 'merge') return requeue(upstream.message, 1000);
    return waiting(ctx, p, at.repoConfig, upstream.message);
  }
  const reviewed = p.pr && p.mode === 'merge' ? await ctx.records.reviewedDigest(p.pr, p.stack) : null;
  const decide =
    p.mode === 'merge'
      ? mergeGate({
          forge: !!ctx.forge,
          // The mode in force before the change counts too: a merge cannot switch its own stack to auto.
          auto: (await governingApplyMode(ctx.ws, state.appliedCommit ?? (await firstParent(ctx.ws, p.commit)), p.commit, p.stack)) === 'auto',
          reviewed,
          pr: p.pr,
          stack: p.stack,
          commit: p.commit,
          cutShort: () => cutShort(ctx, p, reviewed),
        })
      : releaseGate(p.expectDigest, p.commit);
  // A stack with an open rollback pull request is quarantined: commits after a merge are planned and held (the rollback's own merge is not).
  const quarantine = p.mode === 'merge' ? (await ctx.records.openRollbacks(p.stack)).find((r) => r.pr !== p.pr) : undefined;
  let judged: ApplyJudgement | undefined;
  const gate: ApplyGate = async (plan, planned) => {
    if (quarantine && (plan.changes.length > 0 || plan.errors.length > 0)) {
      return {
        proceed: false,
        hold: `Stack \`${p.stack}\` is quarantined by rollback PR #${quarantine.pr}: new commits that touch it are planned but not applied automatically until #${quarantine.pr} is merged or closed.`,
      };
    }
    const d = await decide(plan);
    // Judged again by the policies of the commit before this one; a change to the rules needs an owner.
    if (d.proceed && planned && plan.changes.length) {
      judged = await judgeApply(ctx, p, planned);
      if (judged.hold) return { proceed: false, hold: judged.hold };
    }
    if (d.proceed && d.resumes) {
      ctx.log.info(
        { stack: p.stack, commit: p.commit, pr: p.pr, runs: d.resumes, changes: plan.changes.length },
        `resuming the reviewed apply interrupted in run ${d.resumes.join(', ')}: the plan is what is left of it`,
      );
    }
    return d;
  };
  let r: ApplyOutcome;
  try {
    r = await applyStack(ctx.ws, {
      commit: p.commit,
      stack: p.stack,
      gate,
      trigger: p.trigger,
      actor: p.actor ?? null,
      pr: p.pr,
      signal: ctx.signal,
      external: upstream.external,
      onProgress: (e) =>
        ctx.log.info({ stack: p.stack, resource: e.id, action: e.action, event: e.type, ms: e.ms, error: e.error }, `${e.type} ${e.action} ${e.id}`),
    });
  } catch (err) {
    if (err instanceof LockedError) return requeue(err.message);
    throw err;
  }
  try {
    if (r.diagnostics.length) return await invalid(ctx, p, r.diagnostics.map(formatDiagnostic).join('\n'));
    if (r.held && r.plan) return await hold(ctx, p, r.plan, r.held);
    if (r.refused) return await refuse(ctx, p, r.refused);
    return await report(ctx, p, r, judged);
  } finally {
    await reportProgress(ctx, p, at.repoConfig);
  }
}

/** A stack whose upstream stack did not get to this commit: recorded as a run that says what it waits on, and reported. */
async function waiting(ctx: ServiceContext, p: ApplyPayload, config: RepoConfig, message: string): Promise<JobResult> {
  const runId = await recordWaiting(ctx.ws, p.stack, { commit: p.commit, trigger: p.trigger, pr: p.pr, actor: p.actor ?? null, message });
  const entries = waitingEntries({ stack: p.stack, commit: p.commit, pr: p.pr, runId, message, time: new Date().toISOString() });
  await ctx.outbox.add(ctx.forge ? entries : entries.filter((e) => e.op.type === 'git-note'));
  ctx.log.info({ stack: p.stack, commit: p.commit, run: runId }, `not applied: ${message}`);
  await reportProgress(ctx, p, config);
  ctx.wake();
  return done({ waiting: message, run: runId });
}

/** With stacks that depend on each other, the workflow's result comment: how far the apply of this commit got. */
async function reportProgress(ctx: ServiceContext, p: ApplyPayload, config: RepoConfig): Promise<void> {
  if (!ctx.forge || !Object.values(config.stacks).some((s) => s.dependsOn?.length)) return;
  const progress = await workflowProgress(ctx.ws, config, p.commit);
  const ran = progress.steps.filter((s) => s.outcome);
  if (ran.length < 2 && !progress.stoppedBy) return;
  await ctx.outbox.add([
    progressEntry({
      commit: p.commit,
      pr: p.pr,
      steps: progress.steps.filter((s) => s.outcome || isDownstream(config, s.stack, ran)),
      stoppedBy: progress.stoppedBy,
    }),
  ]);
  ctx.wake();
}

/** Is `stack` after one of the stacks that ran (so the workflow has not reached it yet)? */
function isDownstream(config: RepoConfig, stack: string, ran: { stack: string }[]): boolean {
  const up = new Set(ancestors(declaredStackGraph(config), stack));
  return ran.some((r) => up.has(r.stack));
}
