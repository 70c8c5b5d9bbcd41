import type { PolicyOverride, PolicyResult, StackPolicyReport } from '../../policy/evaluate.js';
import { overrideFor } from '../../policy/render.js';
import type { Hold } from '../../reconcile/durable/records.js';
import { badge, commitLink, html, pullLink, table, time, type Html, type PageContext } from './html.js';

/**
 * Policy results on the dashboard: the judgement a run was applied under (per policy and change,
 * overrides with who, when and why), and the policy part of a held apply's reason. Pure.
 */

/** A report as stored (per run, or per pull request): the results and the overrides that counted. */
export type StoredPolicyReport = StackPolicyReport & { overrides?: PolicyOverride[]; blocked?: string | null };

/** Failures listed per policy at most (the count is shown). */
const FAILURES_SHOWN = 50;

function resultCell(r: PolicyResult, o: PolicyOverride | undefined): Html {
  if (o) return html`${badge('overridden')} by @${o.by}`;
  if (r.broken) return html`${badge('failed')} does not load`;
  if (r.outcome === 'skipped') return html`${badge('skipped')} <span class="muted">no change matched</span>`;
  if (r.outcome === 'passed') return html`${badge('passed')} <span class="muted">${r.checked} checked</span>`;
  return html`${badge(r.outcome)} ${r.failures.length} of ${r.checked}`;
}

function failureList(r: PolicyResult): Html {
  if (!r.failures.length) return html``;
  const shown = r.failures.slice(0, FAILURES_SHOWN);
  return html`<ul class="policy-failures">${shown.map(
    (f) =>
      html`<li>${f.change ? html`<code>${f.change}</code>: ` : ''}${f.message}${f.error ? html` <span class="reason">(error: ${f.error})</span>` : ''}</li>`,
  )}${r.failures.length > shown.length ? html`<li class="muted">… and ${r.failures.length - shown.length} more</li>` : ''}</ul>`;
}

/** One stack's policy judgement: each policy with its level and result, the failing changes, and the overrides used. */
export function policyView(report: StoredPolicyReport | null | undefined): Html {
  if (!report?.results?.length) return html`<p class="muted">No policy judged this plan.</p>`;
  const overrides = report.overrides ?? [];
  const used = overrides.filter((o) => o.digest === report.digest);
  return html`${report.blocked ? html`<p class="reason">${report.blocked}</p>` : ''}
${table(
  ['Policy', 'Level', 'Result', 'Failures'],
  report.results.map((r) => {
    const o = overrideFor(r, report.digest, overrides);
    return html`<tr data-policy="${r.name}" data-outcome="${o ? 'overridden' : r.outcome}"><td><code>${r.name}</code>${r.description ? html`<div class="muted">${r.description}</div>` : ''}</td><td>${r.level}</td><td>${resultCell(r, o)}</td><td>${failureList(r)}</td></tr>`;
  }),
  '',
)}
${
  used.length
    ? html`<h3>Overrides</h3>${table(
        ['Policy', 'By', 'When', 'Why', 'Plan'],
        used.map(
          (o) =>
            html`<tr><td><code>${o.policy}</code></td><td>@${o.by}</td><td>${time(o.at)}</td><td>${o.reason}</td><td><code>${o.digest.slice(7, 19)}</code></td></tr>`,
        ),
        '',
      )}`
    : ''
}`;
}

/** The run page's section: the policies the run's plan was judged by before its apply. */
export function runPolicySection(report: StoredPolicyReport | null | undefined): Html {
  return html`<h2>Policies</h2>${report ? policyView(report) : html`<p class="muted">No policy judged this run.</p>`}`;
}

/** The sentences of a hold's reason that are about policy: a blocking policy, a change to the rules, unmet requirements. */
export function policyReasons(reason: string): string[] {
  return reason
    .split(/ (?=Blocked by policy on stack |This commit changes the rules that judge plans |Requirements not met: )/)
    .filter((s) => /^(Blocked by policy on stack |This commit changes the rules that judge plans |Requirements not met: )/.test(s));
}

/**
 * The stack page's part of a held apply about policy: why policy holds it, and the last judgement
 * of its pull request's plan for this stack (when there is one).
 */
export function heldPolicySection(o: { hold: Hold; judged?: { commit: string; report: StoredPolicyReport | null } | null; ctx: PageContext }): Html {
  const reasons = policyReasons(o.hold.reason);
  if (!reasons.length) return html``;
  return html`<section aria-label="policy of the held apply"><h3>Policy</h3><ul>${reasons.map((r) => html`<li class="reason">${r}</li>`)}</ul>
${
  o.judged?.report
    ? html`<p class="muted">As last judged on ${pullLink(o.hold.pr, o.ctx)} at ${commitLink(o.judged.commit, o.ctx)}:</p>${policyView(o.judged.report)}`
    : ''
}</section>`;
}
