import type { Plan } from '../../plan/model.js';
import type { PostedPlan } from '../../reconcile/durable/observe-reads.js';
import type { Hold } from '../../reconcile/durable/records.js';
import type { RunRecord } from '../../state/store.js';
import { badge, commitLink, html, layout, pullLink, table, time, type PageContext } from './html.js';
import { planView } from './run.js';
import { RUN_HEAD, runRow } from './stack.js';

/** The run that applied a posted plan: an apply of the pull request with the same stack and digest. */
export function appliedBy(p: PostedPlan, runs: readonly RunRecord[]): RunRecord | undefined {
  return runs.find((r) => r.kind === 'apply' && r.stack === p.stack && r.digest === p.digest && r.outcome !== 'running' && r.outcome !== 'invalid');
}

/** A pull request: every plan posted on it (newest first), which one was applied and by which run, its held applies and its runs. Pure. */
export function renderPull(o: { ctx: PageContext; pr: number; posted: PostedPlan[]; runs: RunRecord[]; holds: Hold[] }): string {
  const plans = [...o.posted].reverse();
  const body = html`<h1>Pull request ${pullLink(o.pr, o.ctx)}</h1>
${o.holds.map((h) => html`<p>Stack <a href="/stacks/${encodeURIComponent(h.stack)}">${h.stack}</a> ${badge('held')} at ${commitLink(h.commit, o.ctx)}: <span class="reason">${h.reason}</span></p>`)}
<h2>Plans posted (${plans.length})</h2>
${plans.length ? '' : html`<p class="muted">No plan was posted on this pull request.</p>`}
${plans.map((p) => {
  const run = appliedBy(p, o.runs);
  return html`<section aria-label="plan ${p.id}"><h3>Stack <a href="/stacks/${encodeURIComponent(p.stack)}">${p.stack}</a> at ${commitLink(p.headSha, o.ctx)} · ${time(p.postedAt)} ${
    run ? html`${badge('applied')} by <a href="/runs/${run.id}">run #${run.id}</a> (${run.outcome})` : html`<span class="muted">not applied</span>`
  }</h3>${planView((p.plan as Plan | null) ?? null)}</section>`;
})}
<h2>Runs</h2>
${table(
  RUN_HEAD,
  o.runs.map((r) => runRow(r, o.ctx)),
  'No run for this pull request yet.',
)}`;
  return layout({ title: `Pull request #${o.pr}`, body, ctx: o.ctx });
}
