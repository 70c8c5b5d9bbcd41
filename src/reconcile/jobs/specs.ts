import type { CommentCommand } from '../../forge/commands.js';

/** The kinds of work the reconciler does, each with its typed payload (plain data, never secrets), and what a handler returns. */

export interface PrPlanPayload {
  pr: number;
  headSha: string;
  trigger: string;
  /**
   * Planning again because the branch moved to this commit (an apply changed the recorded state):
   * only at the forge's merge ref once it includes this commit, since a plan of the change request
   * without what was merged since would show it deleted.
   */
  base?: string;
}

export interface BranchPayload {
  sha: string;
  trigger: string;
}

export interface ApplyPayload {
  stack: string;
  commit: string;
  pr: number | null;
  /** merge: after a push (auto-apply the reviewed plan, else hold); release: `/driftless apply`. */
  mode: 'merge' | 'release';
  expectDigest?: string;
  actor?: string | null;
  trigger: string;
}

/** A command commented on a change request (`pr`), or on a commit pushed without one (`commit`, `pr` null). */
export interface CommandPayload {
  pr: number | null;
  commit?: string;
  /** An issue that is not a pull request (a drift issue). */
  issue?: number;
  commentId: number;
  user: string;
  command: CommentCommand;
}

export interface DriftPayload {
  stack: string;
}

export interface JobPayloads {
  'pr-plan': PrPlanPayload;
  branch: BranchPayload;
  apply: ApplyPayload;
  command: CommandPayload;
  drift: DriftPayload;
}

export type JobKind = keyof JobPayloads;

/** A job to queue, typed by its kind. */
export type TypedJobSpec = {
  [K in JobKind]: {
    kind: K;
    /** Jobs of one lane run one at a time, oldest first (a stack, a pull request, the branch). */
    lane: string;
    /** A second job with the same key is not queued (duplicate deliveries, webhook + poll). */
    dedupeKey?: string;
    /** Queued (not running) older jobs of the same lane and kind are marked superseded. */
    supersede?: boolean;
    payload: JobPayloads[K];
  };
}[JobKind];

/**
 * What a handler returns, as Flux's controllers do: done (with a record of what it did), requeue
 * after a delay (the lock is held elsewhere, shutting down, the forge lags; not a failure), or
 * failed terminally (no retry). A thrown error is a failure that is retried with back-off.
 */
export type JobResult =
  | { status: 'done'; result: Record<string, unknown> }
  | { status: 'requeue'; reason: string; afterMs?: number }
  | { status: 'failed'; error: string };

export const done = (result: Record<string, unknown>): JobResult => ({ status: 'done', result });
/** Run the job again later; without `afterMs` the reconciler's back-off decides when. */
export const requeue = (reason: string, afterMs?: number): JobResult => ({ status: 'requeue', reason, afterMs });

/**
 * Plan a pull request. With `base`, only at a merge ref that includes that commit of the branch; such
 * a job does not supersede a queued plan of the PR (which may not wait for the forge's merge ref).
 */
export function prPlanJob(pr: number, headSha: string, trigger: string, dedupe?: string, base?: string): TypedJobSpec {
  return {
    kind: 'pr-plan',
    lane: `pr:${pr}`,
    dedupeKey: dedupe ?? `pr-plan:${pr}:${headSha}`,
    supersede: !base,
    payload: { pr, headSha, trigger, ...(base ? { base } : {}) },
  };
}

export function branchJob(sha: string, trigger: string): TypedJobSpec {
  return { kind: 'branch', lane: 'branch', dedupeKey: `branch:${sha}`, supersede: true, payload: { sha, trigger } };
}

export function applyJob(p: ApplyPayload, dedupeKey: string): TypedJobSpec {
  return { kind: 'apply', lane: `stack:${p.stack}`, dedupeKey, supersede: true, payload: p };
}

export function driftJob(stack: string, tick: string): TypedJobSpec {
  return { kind: 'drift', lane: `stack:${stack}`, dedupeKey: `drift:${stack}:${tick}`, payload: { stack } };
}
