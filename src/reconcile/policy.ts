import type { ChangeTarget } from '../engine/changes.js';
import { firstParent } from '../engine/changes.js';
import { governanceChanges, judgeStack, policiesAt, policyDiagnostics } from '../engine/policies.js';
import type { StackPlanResult } from '../engine/workspace.js';
import type { Annotation, ChangeRequestInfo } from '../forge/forge.js';
import type { PolicySummary, StackOutcome } from '../forge/messages.js';
import type { Diagnostic } from '../manifests/diagnostics.js';
import { isPolicyPath } from '../manifests/policies.js';
import type { PlannedStack } from '../plan/planner.js';
import { blockingReason, globMatch, type PolicyOverride, type StackPolicyReport } from '../policy/evaluate.js';
import type { PrInput } from '../policy/inputs.js';
import { countResults, policyMarkdown, policyNoteLines, policyStatusLine } from '../policy/render.js';
import type { ServiceContext } from './context.js';
import { PolicyRecords } from './durable/policy-records.js';
import { filterAmong, isAmong, type Principal, principalLabel, principals } from './owners.js';

/**
 * Policies in the service: a pull request's plans judged by the base branch's policies (results on
 * the comment, in a status and as check-run annotations), the same judgement again before an apply
 * (a blocked plan is held), changes to the rules that need a policy owner's approval, and overrides.
 */

export function policyRecords(ctx: ServiceContext): PolicyRecords {
  return new PolicyRecords(ctx.records.db, ctx.records.repo);
}

/** The configured policy owners: users and teams. */
export function policyOwners(ctx: ServiceContext): Principal[] {
  return principals(ctx.ws.config.policy?.owners);
}

/** The owners in words: `@sec, @acme/security`, or where to configure them. */
export function ownersInWords(owners: readonly Principal[]): string {
  return owners.length ? owners.map(principalLabel).join(', ') : 'none configured: `policy.owners` in the server config';
}

/** Is the user a policy owner: named, or an active member of an owning team? */
export function isPolicyOwner(ctx: ServiceContext, user: string): Promise<boolean> {
  return isAmong(ctx.forge, policyOwners(ctx), user);
}

function prInputOf(ctx: ServiceContext, pull: ChangeRequestInfo): PrInput {
  return { number: pull.number, author: pull.author ?? '', labels: pull.labels ?? [], base: ctx.branch, head: pull.headRef ?? '' };
}

async function overridesFor(ctx: ServiceContext, stack: string, digest: string): Promise<PolicyOverride[]> {
  return (await policyRecords(ctx).overrides({ stack, digest })).map((o) => ({ policy: o.policy, digest: o.digest, by: o.by, reason: o.reason, at: o.at }));
}

/** Check-run annotations for the failures of a report: at the manifest line of the change, or at the policy's rule. */
function annotations(report: StackPolicyReport, planned: PlannedStack, blocked: boolean, overridden: readonly PolicyOverride[]): Annotation[] {
  const out: Annotation[] = [];
  for (const r of report.results) {
    if (r.outcome !== 'failed' && r.outcome !== 'warned') continue;
    if (overridden.some((o) => o.policy === r.name)) continue;
    for (const f of r.failures.slice(0, 50)) {
      const loc = f.change ? planned.steps.get(f.change)?.desired?.loc : undefined;
      const what = `${r.outcome === 'warned' ? 'warning' : blocked ? 'blocks the apply' : 'failed'}: policy ${r.name} (${r.level})`;
      out.push({
        path: loc?.file ?? r.file,
        line: Math.max(1, loc?.line ?? f.line ?? 1),
        message: `${what}: ${f.change ? `${f.change}: ` : ''}${f.message}${f.error ? ` (error: ${f.error})` : ''}`,
      });
    }
  }
  return out;
}

export interface PullJudgement {
  governance: string[];
  summary?: PolicySummary;
  /** Problems of policy files the pull request edits (at the commit planned). */
  diagnostics: Diagnostic[];
  /** Server requirements not met yet (approvals, mergeable), per stack in words. */
  requirements: string[];
}

/**
 * Judge a pull request's planned stacks by the policies of its base (the commit GitHub's merge ref
 * merges into, or the merge base): `outcomes` get their policy sections; results are stored.
 */
export async function judgePull(
  ctx: ServiceContext,
  pull: ChangeRequestInfo,
  target: ChangeTarget,
  planned: readonly StackPlanResult[],
  outcomes: StackOutcome[],
): Promise<PullJudgement> {
  const base = target.base ?? null;
  const loaded = await policiesAt(ctx.ws, base);
  const governance = await governanceChanges(ctx.ws, base, target.commit, target.changed);
  const diagnostics = target.changed.some(isPolicyPath) ? await policyDiagnostics(ctx.ws, target.commit) : [];
  const requirements: string[] = [];
  for (const s of planned) if (s.planned?.plan.changes.length) requirements.push(...(await unmetRequirements(ctx, s.stack, pull)));
  if (!loaded.policies.length && !loaded.diagnostics.length) {
    await policyRecords(ctx).setResults(pull.number, []);
    return { governance, diagnostics, requirements };
  }
  const reports: StackPolicyReport[] = [];
  const allOverrides: PolicyOverride[] = [];
  const notes: Annotation[] = [];
  const rows: { stack: string; commit: string; digest: string; report: unknown }[] = [];
  let failed = false;
  for (const s of planned) {
    if (!s.planned) continue;
    const report = await judgeStack(loaded, s.planned, { pr: prInputOf(ctx, pull), budgetMs: ctx.ws.config.policy?.budgetMs });
    const overrides = await overridesFor(ctx, s.stack, report.digest);
    const blocked = blockingReason(report, overrides);
    failed ||= blocked !== null;
    reports.push(report);
    allOverrides.push(...overrides);
    notes.push(...annotations(report, s.planned, blocked !== null, overrides));
    const outcome = outcomes.find((o) => o.stack === s.stack);
    if (outcome) outcome.policy = { lines: policyMarkdown(report, overrides, blocked), blocked };
    rows.push({ stack: s.stack, commit: target.commit, digest: report.digest, report: { ...report, blocked, policiesAt: base, overrides } });
  }
  await policyRecords(ctx).setResults(pull.number, rows);
  return {
    governance,
    diagnostics,
    requirements,
    summary: { status: policyStatusLine(countResults(reports, allOverrides), reports), failed, annotations: notes },
  };
}

/**
 * The server's requirements for a stack that a pull request does not meet, in words (empty: all
 * met). Approvals are read at the pull request's head; `mergeable` is met by a merged pull request.
 */
export async function unmetRequirements(
  ctx: ServiceContext,
  stack: string,
  pullOf: ChangeRequestInfo | null | (() => Promise<ChangeRequestInfo | null>),
): Promise<string[]> {
  const reqs = (ctx.ws.config.requirements ?? []).filter((r) => r.stacks.some((g) => globMatch(g, stack)));
  if (!reqs.length) return [];
  const pull = typeof pullOf === 'function' ? await pullOf() : pullOf;
  const out: string[] = [];
  let approvals: string[] | undefined;
  for (const r of reqs) {
    if (r.approvals) {
      if (!pull || !ctx.forge) {
        out.push(`stack \`${stack}\` needs ${r.approvals.count} approval${r.approvals.count === 1 ? '' : 's'} of a pull request; this commit has none`);
        continue;
      }
      approvals ??= await ctx.forge.approvals(pull.number, pull.headSha);
      const from = r.approvals.from ? principals(r.approvals.from) : null;
      const counted = from ? await filterAmong(ctx.forge, from, approvals) : approvals;
      if (counted.length < r.approvals.count) {
        out.push(
          `stack \`${stack}\` needs ${r.approvals.count} approval${r.approvals.count === 1 ? '' : 's'}${from ? ` from ${from.map(principalLabel).join(', ')}` : ''} at the head \`${pull.headSha.slice(0, 12)}\`; it has ${counted.length}${counted.length ? ` (${counted.map((u) => `@${u}`).join(', ')})` : ''}`,
        );
      }
    }
    if (r.mergeable && pull && !pull.merged && pull.mergeable === false) out.push(`stack \`${stack}\` needs the pull request to merge cleanly into its base`);
  }
  return out;
}

export interface ApplyJudgement {
  /** Why the apply is held, or null. */
  hold: string | null;
  /** Lines for the run's note: policies that did not pass, overrides used. */
  lines: string[];
  report?: StackPolicyReport;
  overrides: PolicyOverride[];
}

/**
 * Before an apply: the plan judged by the policies of the commit before it (the merge's first
 * parent), and, when the commit changes policies or apply settings, a policy owner's approval of
 * the pull request at its head (or, on `/driftless apply`, the one applying is an owner).
 */
export async function judgeApply(
  ctx: ServiceContext,
  o: { stack: string; commit: string; pr: number | null; mode: 'merge' | 'release'; actor?: string | null },
  planned: PlannedStack,
): Promise<ApplyJudgement> {
  const base = await firstParent(ctx.ws, o.commit);
  // The pull request is asked for only when a policy, a rules change or a requirement needs it.
  let asked: Promise<ChangeRequestInfo | null> | undefined;
  const getPull = (): Promise<ChangeRequestInfo | null> => (asked ??= o.pr && ctx.forge ? ctx.forge.getPull(o.pr).catch(() => null) : Promise.resolve(null));
  const loaded = await policiesAt(ctx.ws, base);
  let report: Awaited<ReturnType<typeof judgeStack>> | undefined;
  // A policy file that does not load is judged too (it fails): a broken policy is never skipped.
  if (loaded.policies.length || loaded.diagnostics.length) {
    const pull = await getPull();
    report = await judgeStack(loaded, planned, { pr: pull ? prInputOf(ctx, pull) : null, budgetMs: ctx.ws.config.policy?.budgetMs });
  }
  const overrides = report ? await overridesFor(ctx, o.stack, report.digest) : [];
  const reasons: string[] = [];
  const blocked = report ? blockingReason(report, overrides) : null;
  if (blocked && planned.plan.changes.length) reasons.push(blocked);
  const gov = base ? await governanceChanges(ctx.ws, base, o.commit, await ctx.ws.repo.changedPaths(base, o.commit)) : [];
  if (gov.length && planned.plan.changes.length) {
    const owners = policyOwners(ctx);
    let approved = false;
    if (o.mode === 'release' && o.actor) approved = owners.length === 0 || (await isAmong(ctx.forge, owners, o.actor));
    else if (ctx.forge && owners.length) {
      const pull = await getPull();
      if (pull) approved = (await filterAmong(ctx.forge, owners, await ctx.forge.approvals(pull.number, pull.headSha))).length > 0;
    }
    if (!approved) {
      reasons.push(
        `This commit changes the rules that judge plans (${gov.join('; ')}): it needs an approval from a policy owner (${ownersInWords(owners)})${o.pr ? ` on #${o.pr} at its head` : ''}, or \`/driftless apply\` by one.`,
      );
    }
  }
  if (planned.plan.changes.length) {
    const unmet = await unmetRequirements(ctx, o.stack, getPull);
    if (unmet.length) reasons.push(`Requirements not met: ${unmet.join('; ')}.`);
  }
  return { hold: reasons.length ? reasons.join(' ') : null, lines: report ? policyNoteLines(report, overrides) : [], ...(report ? { report } : {}), overrides };
}
