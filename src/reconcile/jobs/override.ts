import type { ServiceContext } from '../context.js';
import type { StackPolicyReport } from '../../policy/evaluate.js';
import { isPolicyOwner, ownersInWords, policyOwners, policyRecords } from '../policy.js';
import { done, prPlanJob, type CommandPayload, type JobResult } from './specs.js';

/**
 * `/driftless override NAME <reason>`: a policy owner lets a failed soft-mandatory policy pass,
 * for the plans of this pull request as they are now (their digests): a push makes new plans, and
 * the override no longer counts. Recorded with who, when and why; the plan comment is refreshed.
 */
export async function runOverrideCommand(ctx: ServiceContext, p: CommandPayload, reply: (text: string) => Promise<void>): Promise<JobResult> {
  if (p.command.name !== 'override') throw new Error('not an override command');
  const { policy, reason } = p.command;
  if (p.pr === null) {
    await reply('overrides are given on the pull request whose plan a policy blocks.');
    return done({ answered: 'override', refused: 'no pull request' });
  }
  if (!policy || !reason.trim()) {
    await reply('say which policy and why: `/driftless override NAME <reason>`. Nothing was overridden.');
    return done({ answered: 'override', refused: 'usage' });
  }
  if (!(await isPolicyOwner(ctx, p.user))) {
    await reply(`only a policy owner may override a policy (${ownersInWords(policyOwners(ctx))}). Nothing was overridden.`);
    return done({ answered: 'override', refused: 'not an owner' });
  }
  const records = policyRecords(ctx);
  const results = await records.results(p.pr);
  const holds = await ctx.records.holds(p.pr);
  const targets: { stack: string; digest: string }[] = [];
  let hard = false;
  for (const r of results) {
    const rep = r.report as StackPolicyReport | null;
    const hit = rep?.results.find((x) => x.name === policy && x.outcome === 'failed');
    if (!hit) continue;
    if (hit.level === 'hard-mandatory') {
      hard = true;
      continue;
    }
    targets.push({ stack: r.stack, digest: r.digest });
    // A held apply after the merge has the plan at the merge commit: it is overridden too.
    for (const h of holds) if (h.stack === r.stack && h.digest !== r.digest) targets.push({ stack: h.stack, digest: h.digest });
  }
  if (!targets.length) {
    await reply(
      hard
        ? `\`${policy}\` is hard-mandatory: it cannot be overridden; only a change to the policy itself, reviewed and merged, lifts it.`
        : `no plan of this pull request fails a soft-mandatory policy named \`${policy}\`. Nothing was overridden.`,
    );
    return done({ answered: 'override', refused: hard ? 'hard-mandatory' : 'not failing' });
  }
  for (const t of targets) await records.addOverride({ pr: p.pr, stack: t.stack, policy, digest: t.digest, by: p.user, reason: reason.trim() });
  const pull = ctx.forge ? await ctx.forge.getPull(p.pr) : null;
  if (pull && pull.state === 'open') {
    await ctx.queue.enqueue([prPlanJob(p.pr, pull.headSha, `/driftless override by ${p.user}`, `pr-plan:${p.pr}:override:${p.commentId}`)]);
  }
  await reply(
    `\`${policy}\` is overridden for ${targets.map((t) => `\`${t.stack}\` (plan \`${t.digest.slice(7, 19)}\`)`).join(', ')}: ${reason.trim()}. A new push makes a new plan, which this override does not cover.`,
  );
  return done({ answered: 'override', stacks: targets.map((t) => t.stack) });
}
