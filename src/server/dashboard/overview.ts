import type { StackSummary } from '../stack-summaries.js';
import { renderStackGraph } from './graph.js';
import { badge, commitLink, html, layout, pullLink, table, time, type PageContext } from './html.js';

/** The overview `/`: every stack with its applied commit, status (and why), last run and next drift check; the workflow graph. Pure. */
export function renderOverview(o: { ctx: PageContext; branch: string; head: string | null; stacks: StackSummary[] }): string {
  const rows = o.stacks.map(
    (s) => html`<tr id="stack-${s.name}">
<td><a href="/stacks/${encodeURIComponent(s.name)}">${s.name}</a><div class="muted">${s.path}</div></td>
<td>${commitLink(s.appliedCommit, o.ctx)}</td>
<td>${badge(s.status)}${s.reason ? html`<div class="reason">${s.reason}</div>` : ''}${s.quarantinedBy ? html`<div class="reason">quarantined by rollback ${pullLink(s.quarantinedBy, o.ctx)}</div>` : ''}</td>
<td>${s.lastRun ? html`<a href="/runs/${s.lastRun.id}">#${s.lastRun.id}</a> ${s.lastRun.kind} ${badge(s.lastRun.outcome)} ${time(s.lastRun.finishedAt ?? s.lastRun.startedAt)}` : html`<span class="muted">none</span>`}</td>
<td>${s.nextDriftCheck ? time(s.nextDriftCheck) : html`<span class="muted">not scheduled</span>`}</td>
</tr>`,
  );
  const body = html`<h1>Stacks</h1>
<p class="muted">Branch <code>${o.branch}</code> at ${commitLink(o.head, o.ctx)}</p>
${table(['Stack', 'Applied commit', 'Status', 'Last run', 'Next drift check'], rows, 'No stacks: the repository config at the branch head declares none.')}
${renderStackGraph(o.stacks.map((s) => ({ name: s.name, status: s.status, dependsOn: s.dependsOn ?? [] })))}`;
  return layout({ title: 'Stacks', body, ctx: o.ctx });
}
