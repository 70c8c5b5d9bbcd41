/** The outcome of an apply run from how its steps ended. Pure. */
import type { ResultChange, RunOutcome } from '../state/store.js';

export interface RunFacts {
  /** Steps the plan had. */
  steps: number;
  /** One per step that ended. */
  results: readonly ResultChange[];
  /** An error that stopped the run as a whole. */
  error?: string;
  /** The run was asked to stop (shutdown) before it finished. */
  aborted: boolean;
}

/**
 * failed: the run itself failed, or no step succeeded; no-changes: nothing to do; succeeded: every
 * step ok; interrupted: some steps did not run because of a shutdown; partial: some failed or
 * were skipped.
 */
export function runOutcome(f: RunFacts): RunOutcome {
  if (f.error) return 'failed';
  if (f.steps === 0) return 'no-changes';
  const notOk = f.results.filter((r) => r.outcome !== 'ok').length;
  if (notOk === 0) return 'succeeded';
  if (notOk === f.steps) return 'failed';
  return f.aborted ? 'interrupted' : 'partial';
}

/** Whether a run leaves the stack at the plan's commit (so later plans compare against it). */
export function reachedCommit(outcome: RunOutcome): boolean {
  return outcome === 'succeeded' || outcome === 'no-changes';
}
