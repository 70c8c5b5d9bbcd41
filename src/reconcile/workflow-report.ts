import type { OutboxEntry } from './durable/outbox.js';
import { progressBody, waitingBody, waitingNoteText, type ProgressStep } from '../forge/workflow-messages.js';
import { markedParts, noteMarker } from '../forge/messages.js';
import { applyContext, oneComment, oneCommitComment, statusEntry } from './report.js';

/** Pure builders of the outbox entries that report a workflow's apply: waiting stacks and its progress. */

/** A stack waiting on an upstream stack: its apply status, a comment and the git note. */
export function waitingEntries(o: { stack: string; commit: string; pr: number | null; runId: number; message: string; time: string }): OutboxEntry[] {
  const plain = o.message.replace(/`/g, '');
  return [
    statusEntry(o.commit, applyContext(o.stack), 'pending', `${o.stack}: ${plain}`),
    { op: { type: 'git-note', commit: o.commit, text: waitingNoteText(o), marker: noteMarker(o.stack, o.runId) }, dedupeKey: `note:${o.runId}` },
    o.pr
      ? oneComment(o.pr, `waiting:${o.stack}:${o.commit}`, waitingBody(o.stack, o.commit, o.message))
      : oneCommitComment(o.commit, `waiting:${o.stack}:${o.commit}`, waitingBody(o.stack, o.commit, o.message)),
  ];
}

/**
 * The one result comment of a workflow at a commit, edited as each stack ends: no dedupe key (each
 * edit is new content), a coalesce key so that only the latest pending edit is delivered.
 */
export function progressEntry(o: { commit: string; pr: number | null; steps: ProgressStep[]; stoppedBy?: string }): OutboxEntry {
  const marker = `driftless:workflow:${o.commit}`;
  const bodies = markedParts(marker, progressBody(o.commit, o.steps, o.stoppedBy));
  return o.pr
    ? { op: { type: 'comment.upsert', issue: o.pr, marker, bodies }, coalesceKey: `comment:${o.pr}:workflow:${o.commit}` }
    : { op: { type: 'commit-comment.upsert', sha: o.commit, marker, bodies }, coalesceKey: `commit-comment:${o.commit}:workflow` };
}
