import type { Plan } from '../../plan/model.js';
import type { ResourceEvent } from '../../reconcile/durable/observe-reads.js';
import { badge, commitLink, diffLines, html, layout, pullLink, table, time, type PageContext } from './html.js';

/** What a run's plan said about one resource: the change (with its field diffs) or the drift. Pure. */
export function changeIn(plan: Plan | null | undefined, id: string): { action: string; diff: Plan['changes'][number]['diff'] } | null {
  const c = plan?.changes.find((x) => x.id === id);
  if (c) return { action: c.action, diff: c.diff };
  const d = plan?.drift.find((x) => x.id === id);
  return d ? { action: d.gone ? 'deleted outside' : 'changed outside', diff: d.diff } : null;
}

/** The audit timeline of one resource: every step any run took on it, with commit, PR, author, run and diff (newest first). Pure. */
export function renderResource(o: { ctx: PageContext; stack: string; id: string; events: ResourceEvent[]; plans: ReadonlyMap<number, Plan | null> }): string {
  const body = html`<h1>Resource <code>${o.id}</code> <span class="muted">in stack</span> <a href="/stacks/${encodeURIComponent(o.stack)}">${o.stack}</a></h1>
${table(
  ['When', 'Run', 'Operation', 'Outcome', 'Commit', 'PR', 'Author', 'Diff'],
  o.events.map((e) => {
    const ch = changeIn(o.plans.get(e.runId), o.id);
    return html`<tr><td>${time(e.startedAt)}</td><td><a href="/runs/${e.runId}">#${e.runId}</a> ${e.kind}</td><td>${e.operation}</td><td>${badge(e.outcome ?? 'running')}${e.error ? html`<div class="reason">${e.error}</div>` : ''}</td><td>${commitLink(e.commit, o.ctx)}</td><td>${pullLink(e.pr, o.ctx)}</td><td>${e.actor ?? e.trigger}</td><td>${ch ? diffLines(ch.diff, ch.action) : ''}</td></tr>`;
  }),
  'No run has changed this resource.',
)}`;
  return layout({ title: `Resource ${o.id}`, body, ctx: o.ctx });
}
