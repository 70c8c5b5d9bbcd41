/**
 * Evaluate compiled policies over one stack's plan: each rule per matching change (or once per
 * plan), within a budget per evaluation and per policy, yielding to the event loop between slices
 * so that a slow rule never stalls the process. A rule that errors, or is stopped by its budget,
 * fails with the error shown. Pure but for those yields.
 */
import { type Diagnostic, formatDiagnostic } from '../manifests/diagnostics.js';
import type { PolicyLevel } from '../manifests/policies.js';
import { type Budget, DEFAULT_BUDGET } from './budget.js';
import type { CompiledPolicy } from './compile.js';
import type { ChangeInput } from './inputs.js';

export interface PolicyFailure {
  /** The change judged, or null for a rule judged once per plan. */
  change: string | null;
  message: string;
  /** The rule did not answer true or false: its error (a budget included). */
  error?: string;
  /** The line of the policy file (a policy file that does not load). */
  line?: number;
}

export type PolicyOutcome = 'passed' | 'warned' | 'failed' | 'skipped';

export interface PolicyResult {
  name: string;
  level: PolicyLevel;
  description?: string;
  file: string;
  /** How many changes (or 1, a plan) the rule judged. */
  checked: number;
  /** passed; warned: an advisory rule failed; failed: a mandatory one did; skipped: nothing matched. */
  outcome: PolicyOutcome;
  failures: PolicyFailure[];
  /** A policy file that does not load: it fails, hard-mandatory, with its problems as failures. */
  broken?: true;
}

export interface StackPolicyReport {
  stack: string;
  digest: string;
  results: PolicyResult[];
}

export interface EvaluateOptions {
  stack: string;
  plan: Record<string, unknown>;
  pr: Record<string, unknown>;
  /** Per evaluation of a rule. */
  budget?: Budget;
  /** All evaluations of one policy over one plan, ms: past it the remaining changes fail. */
  policyBudgetMs?: number;
  /** Give the event loop a turn after this many ms of evaluation (default 20). */
  sliceMs?: number;
}

/** A stack glob: `*` any run of characters, `?` one. */
export function globMatch(glob: string, name: string): boolean {
  const re = new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replaceAll('*', '.*')
      .replaceAll('?', '.')}$`,
  );
  return re.test(name);
}

function kindMatches(kinds: readonly string[], c: ChangeInput): boolean {
  const short = c.kind.slice(c.kind.lastIndexOf('/') + 1);
  return kinds.some((k) => k === c.kind || k === short);
}

/** Does a policy judge this change (its `match`)? */
export function matchesChange(p: CompiledPolicy, stack: string, c: ChangeInput): boolean {
  const m = p.policy.match;
  if (!m) return true;
  if (m.stacks && !m.stacks.some((g) => globMatch(g, stack))) return false;
  if (m.kinds && !kindMatches(m.kinds, c)) return false;
  if (m.actions && !m.actions.includes(c.action as never)) return false;
  return true;
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Evaluate every policy over one plan's changes. */
export async function evaluatePolicies(policies: readonly CompiledPolicy[], changes: readonly ChangeInput[], o: EvaluateOptions): Promise<PolicyResult[]> {
  const budget = o.budget ?? DEFAULT_BUDGET;
  const policyBudget = o.policyBudgetMs ?? 1_000;
  const slice = o.sliceMs ?? 20;
  let sliceEnd = performance.now() + slice;
  const results: PolicyResult[] = [];
  for (const p of policies) {
    const base = { stack: o.stack, plan: o.plan, pr: o.pr };
    const withChange: Record<string, unknown> = { ...base, change: null };
    // The stack is one for the whole plan: its globs are matched once, not per change.
    const m = p.policy.match;
    const stackMatches = !m?.stacks || m.stacks.some((g) => globMatch(g, o.stack));
    const targets = !stackMatches
      ? []
      : !m?.kinds && !m?.actions
        ? changes
        : changes.filter((c) => (!m.kinds || kindMatches(m.kinds, c)) && (!m.actions || m.actions.includes(c.action as never)));
    const runs: readonly (ChangeInput | null)[] = p.perChange ? targets : stackMatches && (targets.length || !p.policy.match?.kinds) ? [null] : [];
    const failures: PolicyFailure[] = [];
    const started = performance.now();
    let spent = false;
    for (const c of runs) {
      withChange.change = c;
      const inputs = c ? withChange : base;
      if (spent) {
        failures.push({
          change: c?.id ?? null,
          message: p.message(inputs, budget),
          error: `the policy used up its time budget for this plan (${policyBudget} ms)`,
        });
        continue;
      }
      try {
        const v = p.rule(inputs, budget);
        if (v !== true) {
          failures.push({
            change: c?.id ?? null,
            message: p.message(inputs, budget),
            ...(v === false ? {} : { error: `the rule gave ${typeof v === 'bigint' ? 'an int' : typeof v}, not a bool` }),
          });
        }
      } catch (err) {
        failures.push({ change: c?.id ?? null, message: p.message(inputs, budget), error: (err as Error).message });
      }
      const now = performance.now();
      if (now - started > policyBudget) spent = true;
      if (now > sliceEnd) {
        await turn();
        sliceEnd = performance.now() + slice;
      }
    }
    const outcome: PolicyOutcome = runs.length === 0 ? 'skipped' : failures.length === 0 ? 'passed' : p.policy.level === 'advisory' ? 'warned' : 'failed';
    results.push({
      name: p.policy.name,
      level: p.policy.level,
      ...(p.policy.description ? { description: p.policy.description } : {}),
      file: p.policy.file,
      checked: runs.length,
      outcome,
      failures,
    });
  }
  return results;
}

/**
 * The policy files that do not load (a schema problem, a CEL error, a second policy of one name),
 * as failed hard-mandatory results named by their file: a broken policy blocks every plan it would
 * have judged, so that breaking a policy never lets a change through. Pure.
 */
export function brokenPolicyResults(diagnostics: readonly Diagnostic[]): PolicyResult[] {
  const byFile = new Map<string, Diagnostic[]>();
  for (const d of diagnostics) byFile.set(d.file, [...(byFile.get(d.file) ?? []), d]);
  return [...byFile].map(([file, ds]) => ({
    name: file,
    level: 'hard-mandatory',
    description: 'this policy file does not load; it blocks every plan until a fix is merged',
    file,
    checked: 1,
    outcome: 'failed',
    failures: ds.map((d) => ({ change: null, message: formatDiagnostic(d), line: d.line })),
    broken: true,
  }));
}

/** An override of one soft-mandatory policy for one plan. */
export interface PolicyOverride {
  policy: string;
  digest: string;
  by: string;
  reason: string;
  at: string;
}

/**
 * Why the plan may not be applied, or null: a failed hard-mandatory policy, or a failed
 * soft-mandatory one without an override for this plan's digest.
 */
export function blockingReason(report: StackPolicyReport, overrides: readonly PolicyOverride[]): string | null {
  const reasons: string[] = [];
  for (const r of report.results) {
    if (r.outcome !== 'failed') continue;
    if (r.broken) reasons.push(`policy file \`${r.file}\` does not load (${r.failures.map((f) => f.message).join('; ')}); it blocks until a fix is merged`);
    else if (r.level === 'hard-mandatory')
      reasons.push(`hard-mandatory policy \`${r.name}\` failed (${r.failures.length} ${r.failures.length === 1 ? 'change' : 'changes'})`);
    else if (!overrides.some((x) => x.policy === r.name && x.digest === report.digest)) {
      reasons.push(`soft-mandatory policy \`${r.name}\` failed; a policy owner may override it with \`/driftless override ${r.name} <reason>\``);
    }
  }
  return reasons.length ? `Blocked by policy on stack \`${report.stack}\`: ${reasons.join('; ')}.` : null;
}
