/**
 * The CEL language of policies, bounded: one environment to check a rule against the declared
 * inputs (an unknown input field is an error at the rule's place) and one to run it, with a cost
 * limit and a time budget per evaluation and `matches` on RE2 (linear time, as CEL specifies).
 */
import { Environment, type ParseResult } from '@marcbachmann/cel-js';
import { RE2JS } from 're2js';
import { type Budget, BudgetExceeded, DEFAULT_BUDGET } from './budget.js';

export { type Budget, BudgetExceeded, DEFAULT_BUDGET };

/** Structural limits, refused at parse time (a deeply nested or huge expression never runs). */
export const PARSE_LIMITS = { maxAstNodes: 5_000, maxDepth: 48, maxListElements: 1_000, maxMapEntries: 1_000, maxCallArguments: 32 };

const RE2_MATCHES = 'driftlessMatchesRe2';
const patterns = new Map<string, RE2JS>();

/** A pattern compiled once (RE2 syntax, as CEL's `matches`); a bad one is an evaluation error. */
function re2(pattern: string): RE2JS {
  let re = patterns.get(pattern);
  if (!re) {
    try {
      re = RE2JS.compile(pattern);
    } catch (err) {
      throw new Error(`invalid regular expression ${JSON.stringify(pattern)} (RE2 syntax): ${(err as Error).message}`);
    }
    if (patterns.size > 10_000) patterns.clear();
    patterns.set(pattern, re);
  }
  return re;
}

/** The inputs a rule may read, with their fields: checking against these finds misspelt fields. */
const INPUT_SCHEMA = {
  change: { id: 'string', kind: 'string', apiVersion: 'string', name: 'string', action: 'string', before: 'map', after: 'map', diff: 'list<map>' },
  plan: {
    stack: 'string',
    digest: 'string',
    summary: { create: 'int', update: 'int', replace: 'int', delete: 'int', noop: 'int' },
    changes: 'list<map>',
  },
  pr: { number: 'int', author: 'string', labels: 'list<string>', base: 'string', head: 'string' },
};

function withFunctions(env: Environment): Environment {
  const matches = (s: string, p: string) => re2(p).test(s);
  return env.registerFunction(`string.${RE2_MATCHES}(string): bool`, matches).registerFunction(`${RE2_MATCHES}(string, string): bool`, matches);
}

function checkEnvironment(): Environment {
  const env = new Environment({ limits: PARSE_LIMITS });
  for (const [name, schema] of Object.entries(INPUT_SCHEMA)) env.registerVariable({ name, schema });
  env.registerVariable('stack', 'string');
  return withFunctions(env);
}

interface Meter {
  steps: number;
  limit: number;
  deadline: number;
  budget: Budget;
  exceeded: BudgetExceeded | null;
}

interface Evaluator {
  run(ast: unknown, ctx: unknown): unknown;
}

/**
 * The run environment, with every node the evaluator visits counted: cel-js has no cost limit of
 * its own, but it evaluates each node through its evaluator's `run`, which a function handler
 * receives as `this`. Counting there bounds what a rule does whatever its shape (nested
 * comprehensions over a huge list included); the clock is read every 256 steps.
 */
function runEnvironment(): { env: Environment; meter: Meter } {
  const env = withFunctions(new Environment({ limits: PARSE_LIMITS, unlistedVariablesAreDyn: false }));
  env.registerVariable('change', 'map').registerVariable('plan', 'map').registerVariable('pr', 'map').registerVariable('stack', 'string');
  let ev: Evaluator | undefined;
  env.registerFunction('driftlessEvaluatorProbe(): bool', function (this: Evaluator) {
    ev = this;
    return true;
  });
  env.evaluate('driftlessEvaluatorProbe()', { change: {}, plan: {}, pr: {}, stack: '' });
  if (!ev) throw new Error('cel-js: the evaluator could not be reached to bound evaluation');
  const meter: Meter = { steps: 0, limit: Number.POSITIVE_INFINITY, deadline: Number.POSITIVE_INFINITY, budget: DEFAULT_BUDGET, exceeded: null };
  const evaluator = ev;
  evaluator.run = function run(ast: { evaluate(e: unknown, a: unknown, c: unknown): unknown }, ctx: unknown) {
    if (++meter.steps > meter.limit) throw (meter.exceeded ??= new BudgetExceeded('steps', meter.budget));
    if ((meter.steps & 255) === 0 && performance.now() > meter.deadline) throw (meter.exceeded ??= new BudgetExceeded('time', meter.budget));
    return ast.evaluate(evaluator, ast, ctx);
  } as Evaluator['run'];
  return { env, meter };
}

let checkEnv: Environment | undefined;
let runEnv: { env: Environment; meter: Meter } | undefined;

/** A CEL problem with its offset in the expression. */
export class CelProblem extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'CelProblem';
  }
}

function problemOf(err: unknown): CelProblem {
  const e = err as { message?: string; range?: { start: number } };
  const first = (e.message ?? String(err)).split('\n')[0].replaceAll(RE2_MATCHES, 'matches');
  return new CelProblem(first, e.range?.start ?? 0);
}

type Ast = { op: string; args: unknown };

/** Point every `matches` call at the RE2 one (cel-js's own runs ECMAScript's backtracking engine). */
function useRe2(ast: Ast): void {
  const stack: unknown[] = [ast];
  while (stack.length) {
    const n = stack.pop();
    if (Array.isArray(n)) {
      stack.push(...n);
      continue;
    }
    if (!n || typeof n !== 'object' || !('op' in n)) continue;
    const node = n as Ast;
    if ((node.op === 'rcall' || node.op === 'call') && Array.isArray(node.args) && node.args[0] === 'matches') node.args[0] = RE2_MATCHES;
    if (Array.isArray(node.args)) stack.push(...node.args);
    else if (node.args && typeof node.args === 'object') stack.push('op' in node.args ? node.args : Object.values(node.args as object));
  }
}

export type Compiled = (inputs: Record<string, unknown>, budget?: Budget) => unknown;

/**
 * Compile an expression: parse (within PARSE_LIMITS), check against the declared inputs, and
 * return a function that evaluates it within a budget. Throws CelProblem at the expression's offset.
 */
export function compileCel(expression: string): Compiled {
  checkEnv ??= checkEnvironment();
  runEnv ??= runEnvironment();
  const { env, meter } = runEnv;
  let parsed: ParseResult;
  try {
    const checked = checkEnv.parse(expression);
    useRe2(checked.ast as unknown as Ast);
    const result = checked.check();
    if (!result.valid) throw result.error;
    parsed = env.parse(expression);
    useRe2(parsed.ast as unknown as Ast);
    // Checked once here: an unchecked expression is type-checked again on every evaluation.
    const ready = parsed.check();
    if (!ready.valid) throw ready.error;
  } catch (err) {
    throw problemOf(err);
  }
  return (inputs, budget = DEFAULT_BUDGET) => {
    meter.steps = 0;
    meter.limit = budget.steps;
    meter.budget = budget;
    meter.deadline = performance.now() + budget.ms;
    meter.exceeded = null;
    try {
      const value = parsed(inputs);
      if (meter.exceeded) throw meter.exceeded;
      return value;
    } catch (err) {
      if (meter.exceeded) throw meter.exceeded;
      throw problemOf(err);
    } finally {
      meter.limit = Number.POSITIVE_INFINITY;
      meter.deadline = Number.POSITIVE_INFINITY;
    }
  };
}

/** Does the expression read `change` (then it runs per change) or only the plan and the PR (once)? */
export function readsChange(expression: string): boolean {
  return /\bchange\b/.test(expression.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""'));
}
