import type { OutboxEntry, OutboxOp } from './outbox.js';

/** The order of delivery within one batch of outbox entries: what people wait for goes first. */

/**
 * The rank of a write within the batch it was queued with (the writes one job decided together,
 * e.g. a pull request's plan comment, its status and its check run): an entry is sent only once
 * every entry of its batch with a lower rank is delivered (or given up). First what people read (a
 * comment, an issue), then the status that gates the merge, then the check run, then the deployment.
 * Null: independent of the others (a git note goes to the git remote, not the forge).
 */
export function deliveryRank(op: OutboxOp): number | null {
  switch (op.type) {
    case 'comment.upsert':
    case 'commit-comment.upsert':
    case 'drift-issue':
      return 0;
    case 'status':
      return 1;
    case 'check-run':
      return 2;
    case 'deployment':
      return 3;
    case 'git-note':
      return null;
  }
}

/**
 * A batch in the order it is stored: by rank (independent entries last), stable within a rank. Stored
 * in this order, no entry ever waits for one not yet written.
 */
export function inDeliveryOrder(entries: OutboxEntry[]): OutboxEntry[] {
  const key = (e: OutboxEntry): number => deliveryRank(e.op) ?? Number.POSITIVE_INFINITY;
  return entries
    .map((e, i) => ({ e, i }))
    .sort((a, b) => key(a.e) - key(b.e) || a.i - b.i)
    .map((x) => x.e);
}
