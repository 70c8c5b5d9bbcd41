/**
 * Policy files to compiled policies: the rule and each `{{…}}` placeholder of the message compiled
 * once per file blob id; a CEL syntax error or an unknown input field reported at its line. Pure
 * but for the cache the caller hands in.
 */
import type { Diagnostic } from '../manifests/diagnostics.js';
import { type PolicyFile, parsePolicyFile, placeInValue } from '../manifests/policies.js';
import { type Budget, CelProblem, compileCel, type Compiled, readsChange } from './cel.js';

export interface CompiledPolicy {
  policy: PolicyFile;
  /** The rule reads `change`: it runs once per matching change; else once per plan. */
  perChange: boolean;
  rule: Compiled;
  /** The message with its placeholders filled from the inputs (a failing placeholder stays as written). */
  message(inputs: Record<string, unknown>, budget: Budget): string;
}

export interface PolicySource {
  path: string;
  /** The blob id: a file compiles once per id. */
  oid: string;
  source: string;
}

export type PolicyCache = Map<string, { compiled?: CompiledPolicy; diagnostics: Diagnostic[] }>;

const PLACEHOLDER = /\{\{\s*([\s\S]+?)\s*\}\}/g;

/** A value as a message shows it. */
export function show(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Map) return JSON.stringify(Object.fromEntries(v), (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)) ?? String(v);
}

/** Compile one parsed policy file, or report where its rule or message is wrong. */
export function compilePolicy(policy: PolicyFile): { compiled?: CompiledPolicy; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const at = (where: { line: number; col: number }, value: string, offset: number, field: string, message: string): Diagnostic => {
    const p = placeInValue(policy.source, where, value, offset);
    return { file: policy.file, line: p.line, col: p.col, field, message: `${policy.name}: ${field}: ${message}` };
  };
  let rule: Compiled | undefined;
  try {
    rule = compileCel(policy.rule);
  } catch (err) {
    const e = err instanceof CelProblem ? err : new CelProblem((err as Error).message, 0);
    diagnostics.push(at(policy.at.rule, policy.rule, e.offset, 'rule', e.message));
  }
  const parts: (string | { expr: string; run: Compiled })[] = [];
  const text = policy.message ?? '';
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    parts.push(text.slice(last, m.index));
    last = m.index + m[0].length;
    try {
      parts.push({ expr: m[0], run: compileCel(m[1]) });
    } catch (err) {
      const e = err instanceof CelProblem ? err : new CelProblem((err as Error).message, 0);
      diagnostics.push(at(policy.at.message ?? policy.at.rule, text, m.index + m[0].indexOf(m[1]) + e.offset, 'message', e.message));
    }
  }
  parts.push(text.slice(last));
  if (!rule || diagnostics.length) return { diagnostics };
  const perChange = readsChange(policy.rule) || parts.some((p) => typeof p !== 'string' && readsChange(p.expr));
  const fallback = `policy ${policy.name} failed`;
  return {
    compiled: {
      policy,
      perChange,
      rule,
      message(inputs, budget) {
        if (!policy.message) return policy.description ?? fallback;
        return parts
          .map((p) => {
            if (typeof p === 'string') return p;
            try {
              return show(p.run(inputs, budget));
            } catch {
              return p.expr;
            }
          })
          .join('');
      },
    },
    diagnostics: [],
  };
}

export interface LoadedPolicies {
  policies: CompiledPolicy[];
  diagnostics: Diagnostic[];
}

/**
 * Parse and compile the policy files (each once per blob id, through `cache`); two files with one
 * name are both reported and the second is left out.
 */
export function loadPolicies(files: readonly PolicySource[], cache: PolicyCache = new Map()): LoadedPolicies {
  const policies: CompiledPolicy[] = [];
  const diagnostics: Diagnostic[] = [];
  const byName = new Map<string, PolicyFile>();
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    const key = `${f.oid}\0${f.path}`;
    let r = cache.get(key);
    if (!r) {
      const parsed = parsePolicyFile(f.path, f.source);
      r = parsed.policy ? compilePolicy(parsed.policy) : { diagnostics: parsed.diagnostics };
      if (cache.size > 5_000) cache.clear();
      cache.set(key, r);
    }
    diagnostics.push(...r.diagnostics);
    if (!r.compiled) continue;
    const p = r.compiled.policy;
    const first = byName.get(p.name);
    if (first) {
      diagnostics.push({
        file: p.file,
        line: p.at.name.line,
        col: p.at.name.col,
        field: 'name',
        message: `${p.name}: another policy has this name (${first.file}:${first.at.name.line}:${first.at.name.col})`,
      });
      continue;
    }
    byName.set(p.name, p);
    policies.push(r.compiled);
  }
  return { policies, diagnostics };
}
