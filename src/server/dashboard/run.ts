import type { Plan } from '../../plan/model.js';
import { summaryLine } from '../../plan/model.js';
import type { RunRecord } from '../../state/store.js';
import type { Step } from '../../reconcile/durable/observe-reads.js';
import { runPolicySection, type StoredPolicyReport } from './policy.js';
import { badge, commitLink, diffLines, duration, html, layout, pullLink, table, time, type Html, type PageContext } from './html.js';

/** The changes and drift of a plan, with their field diffs (the plan is stored masked). Pure. */
export function planView(plan: Plan | null): Html {
  if (!plan) return html`<p class="muted">No plan was kept for this run.</p>`;
  return html`<p>${summaryLine(plan.summary)} <span class="muted">digest <code>${plan.digest.slice(7, 19)}</code></span></p>
${plan.errors.length ? html`<ul>${plan.errors.map((e) => html`<li class="reason">${e}</li>`)}</ul>` : ''}
${table(
  ['Resource', 'Action', 'Fields'],
  plan.changes.map(
    (c) => html`<tr><td><code>${c.id}</code></td><td>${badge(c.action)}<div class="muted">${c.reason}</div></td><td>${diffLines(c.diff, c.action)}</td></tr>`,
  ),
  'No changes.',
)}
${
  plan.drift.length
    ? html`<h3>Drift</h3>${table(
        ['Resource', 'Fields (recorded → live)'],
        plan.drift.map(
          (d) =>
            html`<tr><td><code>${d.id}</code>${d.gone ? html` <span class="muted">deleted outside driftless</span>` : ''}</td><td>${diffLines(d.diff)}</td></tr>`,
        ),
        '',
      )}`
    : ''
}`;
}

export function stepRow(s: Step): Html {
  return html`<tr id="step-${s.id}" data-outcome="${s.outcome ?? 'running'}"><td>${s.resourceId}</td><td>${s.operation}</td><td>${s.outcome ?? 'running'}</td><td>${s.error ?? ''}</td></tr>`;
}

/**
 * One run: what it was (stack, kind, commit, PR, author, outcome, duration), its plan with field
 * diffs, and its steps as the journal records them; while it runs the steps arrive live (live.js).
 */
export function renderRun(o: { ctx: PageContext; run: RunRecord; plan: Plan | null; steps: Step[]; policy?: StoredPolicyReport | null }): string {
  const r = o.run;
  const running = r.outcome === 'running';
  const body = html`<h1>Run #${r.id} <span class="muted">${r.kind} of stack</span> <a href="/stacks/${encodeURIComponent(r.stack)}">${r.stack}</a></h1>
<dl class="facts">
<dt>Outcome</dt><dd>${badge(r.outcome)}</dd>
<dt>Commit</dt><dd>${commitLink(r.commit, o.ctx)}</dd>
<dt>Pull request</dt><dd>${r.pr ? pullLink(r.pr, o.ctx) : html`<span class="muted">none</span>`}</dd>
<dt>Trigger</dt><dd>${r.trigger}${r.actor ? ` by ${r.actor}` : ''}</dd>
<dt>Started</dt><dd>${time(r.startedAt)}</dd>
<dt>Duration</dt><dd>${duration(r.startedAt, r.finishedAt)}</dd>
<dt>Git note</dt><dd>${r.commit && r.outcome !== 'running' && r.kind !== 'drift' ? html`<code>git log --notes=driftless -1 ${r.commit.slice(0, 12)}</code>` : html`<span class="muted">none</span>`}</dd>
</dl>
${r.error ? html`<h2>Errors</h2><pre class="reason">${r.error}</pre>` : ''}
<h2>Steps</h2>
<p id="live-status" aria-live="polite">${running ? 'Connecting…' : ''}</p>
<table id="steps" data-outcome="${r.outcome}"${running ? html` data-events="/runs/${r.id}/events"` : ''} aria-label="steps of run ${r.id}"><thead><tr><th scope="col">Resource</th><th scope="col">Operation</th><th scope="col">Outcome</th><th scope="col">Error</th></tr></thead>
<tbody>${o.steps.map(stepRow)}</tbody></table>
${r.kind === 'drift' ? '' : runPolicySection(o.policy)}
<h2>Plan</h2>
${planView(o.plan)}`;
  return layout({ title: `Run #${r.id}`, body, ctx: o.ctx, live: running });
}
