import type { DriftCheck, LatestRun } from '../../reconcile/durable/observe-reads.js';

/** The states a stack is shown in, on the overview and in `driftless_stack_status`. */
export const STACK_STATUSES = ['in-sync', 'drifted', 'held', 'applying', 'failed', 'invalid', 'waiting'] as const;
export type StackStatus = (typeof STACK_STATUSES)[number];

export interface StatusInput {
  /** The latest apply or remediation run (drift checks aside). */
  lastApply: LatestRun | undefined;
  /** A run of the stack is going on now. */
  running: LatestRun | undefined;
  hold: { reason: string; commit: string; pr: number | null } | undefined;
  drift: DriftCheck | undefined;
  /** A job of the stack's lane is queued (an apply or a check to come). */
  queued: boolean;
  /** The stack lock, when another process holds it. */
  lock: { holder: string; since: string } | undefined;
}

/**
 * A stack's status and why, from what the state records (pure). The order says what matters most:
 * an apply going on, then a commit refused as invalid or an apply that failed (until a later one
 * succeeds), a held apply, a stack waiting on another stack of its workflow, drift found by the last check (unless an apply came after it), work
 * queued, and otherwise in sync.
 */
export function stackStatus(i: StatusInput): { status: StackStatus; reason: string | null } {
  if (i.running && i.running.kind !== 'drift') return { status: 'applying', reason: `run #${i.running.id} at ${short(i.running.commit)}` };
  const last = i.lastApply;
  if (last?.outcome === 'invalid') return { status: 'invalid', reason: last.error ?? 'the commit is invalid' };
  if (last && (last.outcome === 'failed' || last.outcome === 'partial' || last.outcome === 'interrupted'))
    return { status: 'failed', reason: last.error ?? `run #${last.id} ${last.outcome}` };
  if (i.hold) return { status: 'held', reason: i.hold.reason };
  // A workflow's dependent stack that did not run because a stack it depends on failed or is held.
  if (last?.outcome === 'refused' && last.error?.startsWith('waiting on ')) return { status: 'waiting', reason: last.error };
  const afterApply = !last?.finishedAt || (i.drift && i.drift.checkedAt > last.finishedAt);
  if (i.drift && i.drift.drifted > 0 && afterApply)
    return { status: 'drifted', reason: `${i.drift.drifted} resource${i.drift.drifted === 1 ? '' : 's'} drifted (checked ${i.drift.checkedAt})` };
  if (i.queued) return { status: 'waiting', reason: i.lock ? `the stack lock is held by ${i.lock.holder} since ${i.lock.since}` : 'a job is queued' };
  return { status: 'in-sync', reason: null };
}

function short(sha: string | null): string {
  return sha ? sha.slice(0, 12) : '-';
}
