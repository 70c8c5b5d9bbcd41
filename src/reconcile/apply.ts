import { applyStack, planAll, type ApplyOutcome } from '../engine/operations.js';
import { formatDiagnostic } from '../manifests/diagnostics.js';
import { LockedError } from '../state/store.js';
import type { Plan } from '../plan/model.js';
import type { ServiceContext } from './context.js';
import { appliedEntries, holdEntries, refusedEntries } from './report.js';
import { prPlanJob } from './events.js';

export interface ApplyPayload {
  stack: string;
  commit: string;
  pr: number | null;
  /** merge: after a push (auto-apply the reviewed plan, else hold); release: `/driftless apply`. */
  mode: 'merge' | 'release';
  expectDigest?: string;
  actor?: string | null;
  trigger: string;
}

/** Thrown to have the job retried later (the stack is locked by another apply). */
export class RetryLater extends Error {
  override name = 'RetryLater';
}

async function hold(ctx: ServiceContext, p: ApplyPayload, plan: Plan, reason: string): Promise<Record<string, unknown>> {
  await ctx.records.setHold({ stack: p.stack, commit: p.commit, pr: p.pr, digest: plan.digest, reason });
  if (p.pr && p.mode === 'merge') await ctx.records.forgetPrPlan(p.pr, p.stack); // the hold keeps its own digest
  if (ctx.forge) await ctx.outbox.add(holdEntries({ stack: p.stack, commit: p.commit, pr: p.pr, plan, reason }));
  ctx.log.info({ stack: p.stack, commit: p.commit, pr: p.pr }, `apply held: ${reason}`);
  ctx.wake();
  return { held: reason, digest: plan.digest };
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

async function report(ctx: ServiceContext, p: ApplyPayload, r: ApplyOutcome): Promise<Record<string, unknown>> {
  const result = r.result!;
  await ctx.records.clearHold(p.stack);
  if (p.pr) await ctx.records.forgetPrPlan(p.pr, p.stack);
  if (result.outcome !== 'no-changes') {
    await replanOpenPulls(ctx, p, result.runId);
    const info = await ctx.ws.repo.commitInfo(p.commit).catch(() => null);
    const entries = appliedEntries({
      stack: p.stack,
      commit: p.commit,
      pr: p.pr,
      actor: p.actor ?? null,
      author: info ? `${info.author} <${info.email}>` : null,
      result,
      time: new Date().toISOString(),
    });
    // Without a forge only the audit note is written.
    await ctx.outbox.add(ctx.forge ? entries : entries.filter((e) => e.op.type === 'git-note'));
    ctx.wake();
  }
  ctx.log.info({ stack: p.stack, commit: p.commit, run: result.runId, outcome: result.outcome }, `applied stack ${p.stack}: ${result.outcome}`);
  // Stopped by a shutdown: the job goes back to the queue; the next process plans what is left.
  return { run: result.runId, outcome: result.outcome, requeue: result.outcome === 'interrupted' };
}

/**
 * Apply one stack at a commit. After a merge the plan made now must equal the plan reviewed on the
 * pull request (same digest) and the stack must say `apply: auto`; otherwise the apply is held for
 * `/driftless apply`. Without a forge there is no review: `apply: auto` stacks apply directly.
 */
export async function runApply(ctx: ServiceContext, p: ApplyPayload): Promise<Record<string, unknown>> {
  const at = await ctx.ws.repoAt(p.commit);
  const cfg = at.repoConfig?.stacks[p.stack];
  if (!at.repoConfig || !cfg) return { skipped: `no stack ${p.stack} at ${p.commit.slice(0, 12)}` };
  const state = await ctx.store.stackState(ctx.ws.key(p.stack));
  if (state.appliedCommit === p.commit && p.mode === 'merge') return { skipped: 'already applied' };

  let expectDigest: string | undefined = p.expectDigest;
  if (p.mode === 'merge') {
    const reviewed = p.pr ? await ctx.records.reviewedDigest(p.pr, p.stack) : null;
    const auto = cfg.apply === 'auto';
    if (ctx.forge && (!auto || !reviewed)) {
      const planned = await planAll(ctx.ws, p.commit, { stacks: [p.stack] });
      const s = planned.stacks[0];
      const problems = [...planned.diagnostics, ...(s?.diagnostics ?? [])];
      if (problems.length || !s?.planned) return refuse(ctx, p, problems.map(formatDiagnostic).join('\n') || 'the stack could not be planned');
      const plan = s.planned.plan;
      if (plan.changes.length || plan.errors.length) {
        const reason = !auto
          ? 'This stack applies on command only (`apply: manual`).'
          : p.pr
            ? `No plan for stack \`${p.stack}\` was reviewed on #${p.pr}.`
            : 'No reviewed plan: the commit was not merged through a pull request.';
        return hold(ctx, p, plan, reason);
      }
      expectDigest = plan.digest; // nothing to change: record the commit as applied
    } else if (ctx.forge) expectDigest = reviewed!;
    else if (!auto) {
      const planned = await planAll(ctx.ws, p.commit, { stacks: [p.stack] });
      const plan = planned.stacks[0]?.planned?.plan;
      if (plan && (plan.changes.length || plan.errors.length)) return hold(ctx, p, plan, 'This stack applies on command only (`apply: manual`).');
    }
  }
  let r: ApplyOutcome;
  try {
    r = await applyStack(ctx.ws, {
      commit: p.commit,
      stack: p.stack,
      expectDigest,
      trigger: p.trigger,
      actor: p.actor ?? null,
      pr: p.pr,
      signal: ctx.signal,
      onProgress: (e) =>
        ctx.log.info({ stack: p.stack, resource: e.id, action: e.action, event: e.type, ms: e.ms, error: e.error }, `${e.type} ${e.action} ${e.id}`),
    });
  } catch (err) {
    if (err instanceof LockedError) throw new RetryLater(err.message);
    throw err;
  }
  if (r.diagnostics.length) return refuse(ctx, p, r.diagnostics.map(formatDiagnostic).join('\n'));
  if (r.refused) {
    if (r.plan && expectDigest && r.plan.digest !== expectDigest && !r.plan.errors.length) {
      const reason =
        p.mode === 'release'
          ? `The plan changed again since the apply was requested (${r.refused}).`
          : `The plan at the merge commit differs from the plan reviewed on #${p.pr} (${r.refused}).`;
      return hold(ctx, p, r.plan, reason);
    }
    return refuse(ctx, p, r.refused);
  }
  return report(ctx, p, r);
}

async function refuse(ctx: ServiceContext, p: ApplyPayload, why: string): Promise<Record<string, unknown>> {
  if (ctx.forge) await ctx.outbox.add(refusedEntries(p.stack, p.commit, p.pr, why));
  ctx.log.warn({ stack: p.stack, commit: p.commit }, `not applied: ${why}`);
  ctx.wake();
  return { refused: why };
}
