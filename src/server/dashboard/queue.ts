import type { OpenJob } from '../../reconcile/durable/observe-reads.js';
import type { OutboxRow } from '../../reconcile/durable/outbox.js';
import { badge, html, layout, table, time, type PageContext } from './html.js';

/**
 * Why a job waits (pure): running somewhere, behind another job of its lane, the stack lock held by
 * a run elsewhere, its retry time (with the reason of the last attempt: a lock, the forge's rate
 * limit...), or only a free worker.
 */
export function whyWaiting(job: OpenJob, all: readonly OpenJob[], locks: ReadonlyMap<string, { holder: string; since: string }>): string {
  if (job.status === 'running') return `running on ${job.owner ?? 'a replica'} since ${job.startedAt ?? job.createdAt}`;
  const ahead = all.find((j) => j.lane === job.lane && j.id !== job.id && (j.status === 'running' || j.id < job.id));
  if (ahead) return `behind job ${ahead.id} (${ahead.kind}, ${ahead.status}) in lane ${job.lane}`;
  const stack = job.lane.startsWith('stack:') ? job.lane.slice(6) : null;
  const lock = stack ? locks.get(stack) : undefined;
  if (lock) return `the lock of stack ${stack} is held by ${lock.holder} since ${lock.since}`;
  if (job.later) return `retry at ${job.runAfter}${job.error ? `: ${job.error}` : ''}`;
  return 'ready: waiting for a free worker';
}

/** Jobs waiting and running, each with why it waits, and the outbox. Pure. */
export function renderQueue(o: {
  ctx: PageContext;
  jobs: OpenJob[];
  locks: ReadonlyMap<string, { holder: string; since: string }>;
  outbox: OutboxRow[];
}): string {
  const body = html`<h1>Queue</h1>
<h2>Jobs waiting and running</h2>
${table(
  ['Job', 'Kind', 'Lane', 'Status', 'Attempts', 'Queued', 'Why'],
  o.jobs.map(
    (j) =>
      html`<tr><td>${j.id}</td><td>${j.kind}</td><td>${j.lane}</td><td>${badge(j.status)}</td><td>${j.attempts}</td><td>${time(j.createdAt)}</td><td class="reason">${whyWaiting(j, o.jobs, o.locks)}</td></tr>`,
  ),
  'No job is waiting or running.',
)}
<h2>Outbox</h2>
${table(
  ['Entry', 'Type', 'Status', 'Attempts', 'Queued', 'Delivered', 'Last error'],
  o.outbox.map(
    (e) =>
      html`<tr><td>${e.id}</td><td>${e.op.type}</td><td>${badge(e.status)}</td><td>${e.attempts}</td><td>${time(e.createdAt)}</td><td>${time(e.deliveredAt)}</td><td class="reason">${e.lastError ?? ''}</td></tr>`,
  ),
  'The outbox is empty.',
)}`;
  return layout({ title: 'Queue', body, ctx: o.ctx });
}
