import type { OutboxEntry } from './durable/outbox.js';
import type { Plan } from '../plan/model.js';
import type { AcknowledgedDrift } from '../plan/acks.js';
import { summaryLine } from '../plan/model.js';
import { formatDiagnostic, type Diagnostic } from '../manifests/diagnostics.js';
import {
  appliedBody,
  driftBody,
  driftGoneBody,
  driftTitle,
  holdBody,
  markedParts,
  invalidNoteText,
  noteMarker,
  noteText,
  planCommentBody,
  refusedBody,
  reportFailed,
  statusDescription,
  type AppliedInfo,
  type DriftAcks,
  type HoldInfo,
  type PlanReport,
} from '../forge/messages.js';

export type { AppliedInfo, HoldInfo };

/** Pure builders of the outbox entries that report plans, holds, applies and drift. */

export const PLAN_MARKER = 'driftless:plan';
export const PLAN_CONTEXT = 'driftless/plan';
export const POLICY_CONTEXT = 'driftless/policy';
/** The apply status of the repository as a whole (driftless.yaml itself is invalid). */
export const APPLY_CONTEXT = 'driftless/apply';

/** One apply status per stack, so that two stacks changed by one commit do not overwrite each other. */
export function applyContext(stack: string): string {
  return `${APPLY_CONTEXT}: ${stack}`;
}

export function statusEntry(sha: string, context: string, state: 'pending' | 'success' | 'failure' | 'error', description: string): OutboxEntry {
  return { op: { type: 'status', sha, context, state, description: description.slice(0, 140) }, coalesceKey: `status:${sha}:${context}` };
}

/** A single comment found again by its own marker (so a retried delivery edits instead of duplicating). */
export function oneComment(issue: number, key: string, body: string): OutboxEntry {
  const marker = `driftless:${key}`;
  return {
    op: { type: 'comment.upsert', issue, marker, bodies: markedParts(marker, body) },
    dedupeKey: `comment:${issue}:${key}`,
    coalesceKey: `comment:${issue}:${key}`,
  };
}

/** The same on a commit: where driftless reports on a push that came without a pull request. */
export function oneCommitComment(sha: string, key: string, body: string): OutboxEntry {
  const marker = `driftless:${key}`;
  return {
    op: { type: 'commit-comment.upsert', sha, marker, bodies: markedParts(marker, body) },
    dedupeKey: `commit-comment:${sha}:${key}`,
    coalesceKey: `commit-comment:${sha}:${key}`,
  };
}

/** A comment on the pull request when there is one, else on the commit. */
function commentFor(pr: number | null, commit: string, key: string, body: string): OutboxEntry {
  return pr ? oneComment(pr, key, body) : oneCommitComment(commit, key, body);
}

/** The plan comment (split when long), the plan status and a check run with the validation errors. */
export function planEntries(r: PlanReport): OutboxEntry[] {
  const failed = reportFailed(r);
  const body = planCommentBody(r);
  const diagnostics: Diagnostic[] = [...r.repoDiagnostics, ...r.stacks.flatMap((s) => s.diagnostics)];
  const entries: OutboxEntry[] = [
    {
      op: { type: 'comment.upsert', issue: r.pr, marker: PLAN_MARKER, bodies: markedParts(PLAN_MARKER, body), onlyIfExists: r.stacks.length === 0 && !failed },
      coalesceKey: `comment:${r.pr}:plan`,
    },
    statusEntry(r.headSha, PLAN_CONTEXT, failed ? 'failure' : 'success', statusDescription(r)),
  ];
  if (r.policy) entries.push(statusEntry(r.headSha, POLICY_CONTEXT, r.policy.failed ? 'failure' : 'success', r.policy.status));
  const policyAnnotations = r.policy?.annotations ?? [];
  if (r.stacks.length || diagnostics.length) {
    entries.push({
      op: {
        type: 'check-run',
        sha: r.headSha,
        name: 'driftless',
        conclusion: failed || r.policy?.failed ? 'failure' : 'success',
        title: statusDescription(r),
        summary: diagnostics.length
          ? diagnostics.map((d) => `- ${formatDiagnostic(d)}`).join('\n')
          : r.stacks.map((s) => `- ${s.stack}: ${s.plan ? summaryLine(s.plan.summary) : 'not planned'}`).join('\n'),
        annotations: [...diagnostics.map((d) => ({ path: d.file, line: Math.max(1, d.line), message: formatDiagnostic(d) })), ...policyAnnotations],
      },
      dedupeKey: `check:${r.headSha}:${r.commit}:${statusDescription(r)}:${r.policy?.status ?? ''}`,
    });
  }
  return entries;
}

/**
 * An apply that waits for `/driftless apply`: a pending status and a comment showing the new plan,
 * on the pull request, or on the commit itself when it was pushed without one.
 */
export function holdEntries(h: HoldInfo): OutboxEntry[] {
  return [
    statusEntry(h.commit, applyContext(h.stack), 'pending', `${h.stack}: held, waiting for /driftless apply`),
    commentFor(h.pr, h.commit, `hold:${h.stack}:${h.commit}:${h.plan.digest.slice(7, 19)}`, holdBody(h)),
  ];
}

/** After an apply: a result comment (on the PR, or on the commit pushed without one), the apply status, a deployment, the git note. */
export function appliedEntries(a: AppliedInfo): OutboxEntry[] {
  const ok = a.result.outcome === 'succeeded' || a.result.outcome === 'no-changes';
  const desc = `${a.stack}: ${ok ? 'applied' : a.result.outcome}. ${summaryLine(a.result.summary)}`;
  const entries: OutboxEntry[] = [
    statusEntry(a.commit, applyContext(a.stack), ok ? 'success' : 'failure', desc),
    { op: { type: 'git-note', commit: a.commit, text: noteText(a), marker: noteMarker(a.stack, a.result.runId) }, dedupeKey: `note:${a.result.runId}` },
    {
      op: { type: 'deployment', sha: a.commit, environment: a.stack, state: ok ? 'success' : 'failure', description: desc },
      dedupeKey: `deployment:${a.result.runId}`,
    },
  ];
  entries.push(commentFor(a.pr, a.commit, `result:${a.stack}:${a.result.runId}`, appliedBody(a)));
  return entries;
}

/** The git note of a commit refused as invalid: why it was not applied. */
export function invalidNoteEntry(o: { stack: string; commit: string; pr: number | null; runId: number; errors: string; time: string }): OutboxEntry {
  return {
    op: { type: 'git-note', commit: o.commit, text: invalidNoteText(o), marker: noteMarker(o.stack, o.runId) },
    dedupeKey: `note:${o.runId}`,
  };
}

/** An apply that could not run (invalid manifests, a plan with errors). */
export function refusedEntries(stack: string, commit: string, pr: number | null, why: string): OutboxEntry[] {
  return [
    statusEntry(commit, applyContext(stack), 'failure', `${stack}: not applied: ${why.split('\n')[0]}`),
    commentFor(pr, commit, `refused:${stack}:${commit}`, refusedBody(stack, why)),
  ];
}

export function driftEntry(stack: string, plan: Plan, remediation: string | null, acks: DriftAcks = {}): OutboxEntry {
  return {
    op: { type: 'drift-issue', stack, open: true, title: driftTitle(stack), body: driftBody(stack, plan, remediation, acks) },
    coalesceKey: `drift:${stack}`,
  };
}

/** Close the drift issue: the drift is gone, or only acknowledged drift remains. */
export function driftGoneEntry(stack: string, acknowledged: AcknowledgedDrift[] = []): OutboxEntry {
  return {
    op: {
      type: 'drift-issue',
      stack,
      open: false,
      title: driftTitle(stack),
      body: driftGoneBody(stack, acknowledged),
    },
    coalesceKey: `drift:${stack}`,
  };
}
