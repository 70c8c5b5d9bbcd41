/**
 * The bound of one evaluation of a rule (one change, or one plan): nodes evaluated, and wall time.
 * Apart from cel.ts, so that what only reports on policies never loads the CEL interpreter.
 */
export interface Budget {
  steps: number;
  ms: number;
}

export const DEFAULT_BUDGET: Budget = { steps: 200_000, ms: 100 };

/** A rule (or message placeholder) stopped by its budget. */
export class BudgetExceeded extends Error {
  constructor(
    readonly what: 'steps' | 'time',
    budget: Budget,
  ) {
    super(what === 'steps' ? `exceeded the cost limit (${budget.steps} evaluation steps)` : `exceeded the time budget (${budget.ms} ms)`);
    this.name = 'BudgetExceeded';
  }
}
