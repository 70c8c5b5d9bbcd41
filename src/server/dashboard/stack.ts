import type { Plan } from '../../plan/model.js';
import type { RunRecord } from '../../state/store.js';
import type { Hold } from '../../reconcile/durable/records.js';
import type { StackSummary } from '../stack-summaries.js';
import { heldPolicySection, type StoredPolicyReport } from './policy.js';
import { badge, commitLink, diffLines, html, layout, pullLink, table, time, type Html, type PageContext } from './html.js';

export interface StackResource {
  id: string;
  kind: string;
  apiVersion: string;
  /** The target (from the stack's `targets`) its provider writes to. */
  target: string | null;
  lastChange: { runId: number; commit: string | null } | null;
}

export function runRow(r: RunRecord, ctx: PageContext): Html {
  return html`<tr><td><a href="/runs/${r.id}">#${r.id}</a></td><td>${r.kind}</td><td>${badge(r.outcome)}</td><td>${commitLink(r.commit, ctx)}</td><td>${pullLink(r.pr, ctx)}</td><td>${r.trigger}${r.actor ? ` by ${r.actor}` : ''}</td><td>${time(r.startedAt)}</td></tr>`;
}

export const RUN_HEAD = ['Run', 'Kind', 'Outcome', 'Commit', 'PR', 'Trigger', 'Started'];

/**
 * A stack: its status, held apply, current drift (field diffs), resources (kind, target, the commit
 * that last changed each, drift) and runs. Pure. `shown` resources of `total` (a page, for large stacks).
 */
export function renderStack(o: {
  ctx: PageContext;
  summary: StackSummary;
  hold: Hold | undefined;
  /** The last policy judgement of the held apply's pull request for this stack. */
  heldPolicy?: { commit: string; report: StoredPolicyReport | null } | null;
  drift: Plan | null;
  resources: StackResource[];
  total: number;
  runs: RunRecord[];
}): string {
  const s = o.summary;
  const drifted = new Set(o.drift?.drift.map((d) => d.id) ?? []);
  const stack = encodeURIComponent(s.name);
  const body = html`<h1>Stack ${s.name} ${badge(s.status)}</h1>
${s.reason ? html`<p class="reason">${s.reason}</p>` : ''}
${s.quarantinedBy ? html`<p class="reason">Quarantined by rollback ${pullLink(s.quarantinedBy, o.ctx)}: new commits that touch this stack are planned but held until it is merged or closed.</p>` : ''}
<dl class="facts"><dt>Path</dt><dd><code>${s.path}</code></dd><dt>Applied commit</dt><dd>${commitLink(s.appliedCommit, o.ctx)}</dd><dt>Next drift check</dt><dd>${s.nextDriftCheck ? time(s.nextDriftCheck) : html`<span class="muted">not scheduled</span>`}</dd></dl>
${
  o.hold
    ? html`<h2>Held apply</h2><p>Commit ${commitLink(o.hold.commit, o.ctx)} ${o.hold.pr ? html`from ${pullLink(o.hold.pr, o.ctx)}` : ''} is held: comment <code>/driftless apply</code> to apply it.</p><p class="reason">${o.hold.reason}</p>${heldPolicySection({ hold: o.hold, judged: o.heldPolicy, ctx: o.ctx })}`
    : ''
}
${
  o.drift && s.status === 'drifted'
    ? html`<h2>Drift</h2>${table(
        ['Resource', 'Fields (recorded → live)'],
        o.drift.drift.map(
          (d) =>
            html`<tr><td><a href="/stacks/${stack}/resource?id=${encodeURIComponent(d.id)}"><code>${d.id}</code></a>${d.gone ? html` <span class="muted">deleted outside driftless</span>` : ''}</td><td>${diffLines(d.diff)}</td></tr>`,
        ),
        'No drift.',
      )}`
    : ''
}
<h2>Resources <span class="muted">(${o.total}${o.resources.length < o.total ? `, first ${o.resources.length} shown` : ''})</span></h2>
${table(
  ['Resource', 'Kind', 'Target', 'Last changed by', 'Drift'],
  o.resources.map(
    (r) =>
      html`<tr><td><a href="/stacks/${stack}/resource?id=${encodeURIComponent(r.id)}"><code>${r.id}</code></a></td><td>${r.kind} <span class="muted">${r.apiVersion}</span></td><td>${r.target ?? '-'}</td><td>${r.lastChange ? html`${commitLink(r.lastChange.commit, o.ctx)} (<a href="/runs/${r.lastChange.runId}">run #${r.lastChange.runId}</a>)` : html`<span class="muted">-</span>`}</td><td>${drifted.has(r.id) && s.status === 'drifted' ? badge('drifted') : ''}</td></tr>`,
  ),
  'No resources recorded yet.',
)}
<h2>Runs</h2>
${table(
  RUN_HEAD,
  o.runs.map((r) => runRow(r, o.ctx)),
  'No runs yet.',
)}`;
  return layout({ title: `Stack ${s.name}`, body, ctx: o.ctx });
}
