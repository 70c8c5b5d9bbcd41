import type { Diagnostic } from '../manifests/diagnostics.js';
import { formatDiagnostic } from '../manifests/diagnostics.js';
import type { Plan, Summary } from '../plan/model.js';
import type { Annotation } from './forge.js';
import type { AcknowledgedDrift, LapsedAck } from '../plan/acks.js';
import { summaryLine } from '../plan/model.js';
import { renderMarkdown } from '../plan/render/markdown.js';
import { workflowSection, type WorkflowView } from './workflow-messages.js';
import { rolloutLines, type RolloutReport } from '../plan/rollout.js';

/** GitHub refuses bodies over 65,536 characters; parts stay under this (leaving room for a marker). */
export const COMMENT_LIMIT = 60_000;

export interface StackOutcome {
  stack: string;
  plan?: Plan;
  diagnostics: Diagnostic[];
  /** The stack's policy section (Markdown lines, rendered by the policy stage), and why policy blocks its apply. */
  policy?: { lines: string[]; blocked: string | null };
}

/** Policy results of a pull request, as the forge shows them: a status line, annotations, and what changes the rules. */
export interface PolicySummary {
  status: string;
  failed: boolean;
  annotations: Annotation[];
}

export interface PlanReport {
  pr: number;
  /** The commit planned (the merge ref's commit, or the head). */
  commit: string;
  headSha: string;
  at: 'merge' | 'head';
  /** Problems with driftless.yaml or the repository's schemas. */
  repoDiagnostics: Diagnostic[];
  stacks: StackOutcome[];
  /** Things a reviewer must know that are not in a plan (a stack's apply mode changes). */
  notices?: string[];
  /** The stacks as one workflow: order and change graph (see workflow-messages.ts). */
  workflow?: WorkflowView;
  /** Changes to the rules that judge plans (policies, apply settings), listed prominently. */
  governance?: string[];
  policy?: PolicySummary;
}

export function totalSummary(stacks: StackOutcome[]): Summary {
  const t: Summary = { create: 0, update: 0, replace: 0, delete: 0, noop: 0 };
  for (const s of stacks) {
    if (!s.plan) continue;
    for (const k of Object.keys(t) as (keyof Summary)[]) t[k] += s.plan.summary[k];
  }
  return t;
}

export function reportFailed(r: PlanReport): boolean {
  return r.repoDiagnostics.length > 0 || r.stacks.some((s) => s.diagnostics.length > 0 || (s.plan?.errors.length ?? 0) > 0);
}

/** One line for a commit status (GitHub keeps 140 characters). */
export function statusDescription(r: PlanReport): string {
  const errors = r.repoDiagnostics.length + r.stacks.reduce((n, s) => n + s.diagnostics.length + (s.plan?.errors.length ?? 0), 0);
  const line = errors
    ? `${errors} error${errors === 1 ? '' : 's'}: the plan cannot be applied`
    : r.stacks.length
      ? summaryLine(totalSummary(r.stacks))
      : 'No stacks affected.';
  return line.length > 140 ? line.slice(0, 139) + '…' : line;
}

function diagnosticList(ds: Diagnostic[]): string[] {
  return ds.map((d) => `- \`${formatDiagnostic(d).replace(/`/g, "'")}\``);
}

/** The plan comment's Markdown (before splitting): summary first, then a section per stack. Pure. */
export function planCommentBody(r: PlanReport, opts: { foldOver?: number } = {}): string {
  const foldOver = opts.foldOver ?? 40;
  const out: string[] = [];
  const failed = reportFailed(r);
  out.push(`## ${failed ? '❌' : '📋'} driftless plan for #${r.pr}`);
  out.push('');
  out.push(
    `Planned at \`${r.commit.slice(0, 12)}\` (${r.at === 'merge' ? `the merge of \`${r.headSha.slice(0, 12)}\` into the base branch` : `the head \`${r.headSha.slice(0, 12)}\`; the pull request does not merge cleanly`}).`,
  );
  out.push('');
  if (r.repoDiagnostics.length) {
    out.push('**The repository configuration is invalid:**', '', ...diagnosticList(r.repoDiagnostics), '');
  }
  if (r.governance?.length) {
    out.push('### 🔐 This pull request changes the rules that judge plans', '');
    out.push(...r.governance.map((g) => `- ${g}`), '');
    out.push(
      'Plans are judged by the policies and apply settings of the base branch, so these changes count only after the merge. The apply of this pull request needs an approval from a policy owner.',
      '',
    );
  }
  for (const n of r.notices ?? []) out.push(`> ⚠️ ${n}`, '');
  if (r.stacks.length === 0 && !r.repoDiagnostics.length) out.push('This pull request changes no stack.', '');
  if (r.stacks.length) {
    out.push('| Stack | Result |', '|---|---|');
    for (const s of r.stacks) {
      const result = s.diagnostics.length
        ? `❌ ${s.diagnostics.length} validation error${s.diagnostics.length === 1 ? '' : 's'}`
        : s.plan!.errors.length
          ? `⛔ cannot be applied: ${s.plan!.errors.length} problem${s.plan!.errors.length === 1 ? '' : 's'}`
          : summaryLine(s.plan!.summary);
      out.push(`| \`${s.stack}\` | ${result} |`);
    }
    out.push('');
  }
  out.push(...workflowSection(r.workflow));
  for (const s of r.stacks) {
    let section: string[];
    if (s.diagnostics.length) section = [`### ❌ Stack \`${s.stack}\``, '', '**Validation errors:**', '', ...diagnosticList(s.diagnostics), ''];
    else section = renderMarkdown(s.plan!, { foldOver: Number.MAX_SAFE_INTEGER }).split('\n');
    const lines = section.length;
    if (lines > foldOver) {
      const [title, ...rest] = section;
      out.push(title, '', `<details><summary>Show the plan (${lines} lines)</summary>`, '', ...rest, '', '</details>', '');
    } else out.push(...section, '');
    // The policy section stays visible: it is not folded with a long plan.
    if (s.policy?.lines.length) out.push(...s.policy.lines, '');
  }
  out.push('---');
  out.push(
    '<sub>Comment `/driftless plan` to plan again, `/driftless help` for the commands. After the merge this plan is applied if it is still the same.</sub>',
  );
  return out.join('\n');
}

const FENCE = /^```/;

/**
 * Split a Markdown body into parts of at most `limit` characters on line boundaries. A code fence
 * open at a cut is closed and reopened (with its info string) in the next part, and open
 * `<details>` blocks are closed and reopened likewise, so each part renders on its own. `header(i)`
 * is prepended to parts after the first. Pure.
 */
export function splitComment(body: string, limit = COMMENT_LIMIT, header: (i: number) => string = (i) => `*(continued, part ${i + 1})*\n\n`): string[] {
  const parts: string[] = [];
  let cur: string[] = [];
  let size = 0;
  let fence: string | null = null; // the opening line of the fence we are in
  let details = 0;
  const closing = (): string[] => [...(fence ? ['```'] : []), ...Array(details).fill('</details>')];
  const closingSize = (): number => closing().reduce((n, l) => n + l.length + 1, 0);
  const reopen = (): string[] => [...Array(details).fill('<details><summary>(continued)</summary>\n'), ...(fence ? [fence] : [])];
  const startPart = (): void => {
    const h = header(parts.length);
    cur = [];
    size = 0;
    for (const l of [...h.replace(/\n$/, '').split('\n'), ...reopen()]) {
      cur.push(l);
      size += l.length + 1;
    }
  };
  const cut = (): void => {
    parts.push([...cur, ...closing()].join('\n'));
    startPart();
  };
  cur = [];
  // A single line longer than half a part is cut into pieces first (it cannot share a part).
  const lines = body.split('\n').flatMap((l) => {
    const max = Math.floor(limit / 2);
    if (l.length <= max) return [l];
    const pieces: string[] = [];
    for (let i = 0; i < l.length; i += max) pieces.push(l.slice(i, i + max));
    return pieces;
  });
  // Room left for content: the limit less the lines that close what is open.
  const room = (): number => limit - closingSize() - 16;
  let fresh = true; // the current part holds only its header and reopening lines
  for (const raw of lines) {
    if (size + raw.length + 1 > room() && !fresh) {
      cut();
      fresh = true;
    }
    cur.push(raw);
    size += raw.length + 1;
    fresh = false;
    if (FENCE.test(raw)) fence = fence ? null : raw;
    else if (!fence) {
      details += (raw.match(/<details>/g) ?? []).length;
      details = Math.max(0, details - (raw.match(/<\/details>/g) ?? []).length);
    }
  }
  parts.push(cur.join('\n'));
  return parts;
}

/** The hidden marker of part `i` of a comment family (say `driftless:plan`). */
export function partMarker(base: string, i: number): string {
  return i === 0 ? `<!-- ${base} -->` : `<!-- ${base} part=${i + 1} -->`;
}

/** Which part of `base` a comment body is, or -1. */
export function markerPart(body: string, base: string): number {
  const first = body.split('\n', 1)[0];
  if (first === `<!-- ${base} -->`) return 0;
  const m = new RegExp(`^<!-- ${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} part=(\\d+) -->$`).exec(first);
  return m ? Number(m[1]) - 1 : -1;
}

/** Split `body` and put each part's marker on its first line; every part stays within `limit`. */
export function markedParts(base: string, body: string, limit = COMMENT_LIMIT): string[] {
  const reserve = partMarker(base, 999).length + 1;
  return splitComment(body, limit - reserve).map((p, i) => `${partMarker(base, i)}\n${p}`);
}

/** What messages need of an apply's result (the executor's ApplyResult has this shape). */
export interface AppliedRun {
  runId: number;
  outcome: string;
  summary: Summary;
  results: { id: string; action: string; outcome: string; error?: string }[];
  /** A stack with `rollout`: how the waves went and which host is at which commit. */
  rollout?: RolloutReport;
}

export interface AppliedInfo {
  stack: string;
  commit: string;
  pr: number | null;
  actor: string | null;
  author: string | null;
  result: AppliedRun;
  time: string;
  /** The runs a crash or a shutdown cut short, whose reviewed plan this run finished (their changes are not repeated). */
  resumes?: number[];
  /** The apply of a merged rollback pull request: the commit it went back to and the commits it undid. */
  rollback?: { target: string; undoes: string[] };
  /** Policies that did not pass and the overrides used (who, when, why, which plan). */
  policy?: string[];
}

export interface HoldInfo {
  stack: string;
  commit: string;
  pr: number | null;
  plan: Plan;
  reason: string;
}

/** A held apply: the reason and the plan that waits for `/driftless apply`. */
export function holdBody(h: HoldInfo): string {
  return [
    `## ⏸️ Apply of stack \`${h.stack}\` is held`,
    '',
    `${h.reason}`,
    '',
    `The plan at \`${h.commit.slice(0, 12)}\`:`,
    '',
    renderMarkdown(h.plan),
    '',
    `A user with write permission can apply this plan by commenting \`/driftless apply\` on ${h.pr ? 'this pull request' : 'this commit'}.`,
  ].join('\n');
}

function resultLines(result: AppliedRun): string[] {
  return result.results.map((x) => `${x.outcome === 'ok' ? 'ok' : x.outcome}: ${x.action} ${x.id}${x.error ? ` (${x.error})` : ''}`);
}

/** The git note text of one apply (what `git log --notes=driftless` shows). */
export function noteText(a: AppliedInfo): string {
  return [
    `driftless: stack ${a.stack}, run ${a.result.runId}, ${a.result.outcome}`,
    `time: ${a.time}`,
    `pr: ${a.pr ? `#${a.pr}` : '-'}`,
    `author: ${a.author ?? '-'}${a.actor ? ` (applied by ${a.actor})` : ''}`,
    ...(a.resumes?.length ? [`resumes: run ${a.resumes.join(', ')}`] : []),
    ...(a.rollback ? [`rollback of: ${a.rollback.undoes.join(' ') || '-'} (back to ${a.rollback.target})`] : []),
    ...(a.policy ?? []),
    `summary: ${summaryLine(a.result.summary)}`,
    `outcome: ${a.result.outcome}`,
    ...(a.result.results.length ? ['changes:', ...resultLines(a.result).map((l) => `  ${l}`)] : []),
    ...(a.result.rollout ? ['rollout:', ...rolloutLines(a.result.rollout).map((l) => `  ${l}`)] : []),
  ].join('\n');
}

export function noteMarker(stack: string, runId: number): string {
  return `driftless: stack ${stack}, run ${runId},`;
}

/** The git note of a commit that was not applied because it is invalid. */
export function invalidNoteText(o: { stack: string; runId: number; pr: number | null; errors: string; time: string }): string {
  return [
    `driftless: stack ${o.stack}, run ${o.runId}, invalid`,
    `time: ${o.time}`,
    `pr: ${o.pr ? `#${o.pr}` : '-'}`,
    'outcome: invalid (not applied)',
    'errors:',
    ...o.errors.split('\n').map((l) => `  ${l}`),
  ].join('\n');
}

/** The result comment of an apply. */
export function appliedBody(a: AppliedInfo): string {
  const ok = a.result.outcome === 'succeeded' || a.result.outcome === 'no-changes';
  const failed = a.result.results.filter((x) => x.outcome !== 'ok');
  return [
    `## ${ok ? '✅' : '❌'} Applied stack \`${a.stack}\`: ${a.result.outcome}`,
    '',
    `Commit \`${a.commit.slice(0, 12)}\` · run #${a.result.runId}${a.actor ? ` · applied by @${a.actor}` : ''} · **${summaryLine(a.result.summary)}**`,
    '',
    ...(a.resumes?.length
      ? [`This run resumes the apply interrupted in run ${a.resumes.map((id) => `#${id}`).join(', ')}: it carried out what was left of the reviewed plan.`, '']
      : []),
    ...(a.result.results.length
      ? [
          '| Resource | Action | Outcome |',
          '|---|---|---|',
          ...a.result.results.map(
            (x) =>
              `| \`${x.id}\` | ${x.action} | ${x.outcome === 'ok' ? '✅ done' : x.outcome === 'failed' ? `❌ failed: ${escapeCell(x.error ?? '')}` : `⏭️ ${escapeCell(x.error ?? 'skipped')}`} |`,
          ),
        ]
      : ['No changes.']),
    '',
    ...(a.result.rollout ? ['**Rollout**', '', '```', ...rolloutLines(a.result.rollout), '```', ''] : []),
    failed.length
      ? `${failed.length} change${failed.length === 1 ? '' : 's'} did not succeed; fix and push again, or comment \`/driftless apply\` after fixing the target.`
      : 'The audit trail is in `git log --notes=driftless`.',
  ].join('\n');
}

/** Why a stack was not applied. */
export function refusedBody(stack: string, why: string): string {
  return `## ❌ Stack \`${stack}\` was not applied\n\n${why}`;
}

function escapeCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function driftTitle(stack: string): string {
  return `Drift in stack ${stack}`;
}

/** What acknowledgements did to a stack's drift (`.driftless/acks.yaml`). */
export interface DriftAcks {
  acknowledged?: AcknowledgedDrift[];
  lapsed?: LapsedAck[];
  notRemediated?: string[];
}

/** The drift issue of a stack: what differs, what acknowledgements lapsed or still cover, and what driftless does about it. */
export function driftBody(stack: string, plan: Plan, remediation: string | null, acks: DriftAcks = {}): string {
  const out = [`driftless found that the live state of stack \`${stack}\` differs from what was applied at \`${plan.commit.slice(0, 12)}\`.`, ''];
  for (const l of acks.lapsed ?? []) out.push(`- ⏰ ${lapsedLine(l)}`);
  if (acks.lapsed?.length) out.push('');
  out.push(renderMarkdown(plan), '');
  if (acks.acknowledged?.length) {
    out.push('**Acknowledged drift** (`.driftless/acks.yaml`; not reported as drift, not remediated):', '');
    for (const a of acks.acknowledged) out.push(`- ${acknowledgedLine(a)}`);
    out.push('');
  }
  if (acks.notRemediated?.length) {
    out.push(
      `Not remediated, because they also have acknowledged drift that re-applying them would revert: ${acks.notRemediated.map((id) => `\`${id}\``).join(', ')}.`,
      '',
    );
  }
  out.push(
    remediation ?? 'This stack does not remediate drift (`drift.remediate: false`): apply the manifests again or change them to match.',
    '',
    'To keep the live values instead, comment `/driftless adopt` (or `/driftless adopt RESOURCE`): driftless opens a pull request that writes them into the manifests.',
    '',
    'This issue is updated while the drift lasts and closed when it is gone.',
  );
  return out.join('\n');
}

/** "acknowledgement by @ada (reason) lapsed on 2027-01-15: File/motd /spec/content drifts again". */
export function lapsedLine(l: LapsedAck): string {
  const what = l.paths.length ? `${l.id} ${l.paths.join(', ')}` : `${l.id} (deleted outside driftless)`;
  return `acknowledgement by ${l.ack.owner} (${l.ack.reason}) lapsed on ${l.ack.expires}: ${what} alarms again`;
}

/** "File/motd /spec/content: acknowledged by @ada until 2027-01-15 (reason)". */
export function acknowledgedLine(a: AcknowledgedDrift): string {
  const what = a.gone ? `${a.id} (deleted outside driftless)` : `${a.id} ${a.diff.map((e) => e.path).join(', ')}`;
  return `${what}: acknowledged by ${a.acks.map((k) => `${k.owner} until ${k.expires} (${k.reason})`).join('; ')}`;
}

export function driftGoneBody(stack: string, acknowledged: AcknowledgedDrift[] = []): string {
  if (acknowledged.length === 0) return `The drift of stack \`${stack}\` is gone: the live state matches what was applied.`;
  return [
    `The drift of stack \`${stack}\` that alarmed is gone; what remains is acknowledged in \`.driftless/acks.yaml\`:`,
    '',
    ...acknowledged.map((a) => `- ${acknowledgedLine(a)}`),
  ].join('\n');
}
