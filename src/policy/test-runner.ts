/**
 * `driftless policy test`: each test file (one sample change and its expected outcome) run against
 * the policy it names. Pure: compiled policies and parsed tests in, verdicts out.
 */
import type { PolicyTestFile } from '../manifests/policies.js';
import type { CompiledPolicy } from './compile.js';
import { evaluatePolicies } from './evaluate.js';
import { type ChangeInput, celValue, NO_PR, planInput, prInput } from './inputs.js';

export interface PolicyTestVerdict {
  file: string;
  policy: string;
  ok: boolean;
  /** What happened, in words (the failure messages, or why the test is wrong). */
  detail: string;
}

export async function runPolicyTest(policies: readonly CompiledPolicy[], t: PolicyTestFile): Promise<PolicyTestVerdict> {
  const p = policies.find((x) => x.policy.name === t.policy);
  const base = { file: t.file, policy: t.policy };
  if (!p) return { ...base, ok: false, detail: `no policy is named ${t.policy} (known: ${policies.map((x) => x.policy.name).join(', ') || 'none'})` };
  const stack = t.stack ?? 'test';
  const changes: ChangeInput[] = t.change
    ? [
        {
          id: t.change.id,
          kind: t.change.kind,
          apiVersion: t.change.kind.slice(0, t.change.kind.lastIndexOf('/')),
          name: t.change.id.slice(t.change.id.indexOf('/') + 1),
          action: t.change.action,
          before: (celValue(t.change.before ?? {}) as Record<string, unknown>) ?? {},
          after: (celValue(t.change.after ?? {}) as Record<string, unknown>) ?? {},
          diff: (celValue(t.change.diff ?? []) as Record<string, unknown>[]) ?? [],
        },
      ]
    : [];
  const summary = { create: 0, update: 0, replace: 0, delete: 0, noop: 0 };
  for (const c of changes) summary[c.action as keyof typeof summary]++;
  const plan = planInput({ stack, digest: 'sha256:test', summary } as never, changes);
  const pr = { ...NO_PR, ...(t.pr ?? {}) } as typeof NO_PR;
  const [r] = await evaluatePolicies([p], changes, { stack, plan, pr: prInput(pr) });
  const got = r.outcome === 'skipped' ? 'skip' : r.failures.length ? 'fail' : 'pass';
  const detail = r.failures.map((f) => `${f.message}${f.error ? ` (error: ${f.error})` : ''}`).join('; ');
  if (got === t.expect) return { ...base, ok: true, detail: got };
  return { ...base, ok: false, detail: `expected ${t.expect}, got ${got}${detail ? `: ${detail}` : ''}` };
}
