import type { Diagnostic } from '../manifests/diagnostics.js';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { POLICIES_DIR, POLICY_TESTS_DIR, isPolicyPath, parsePolicyTest } from '../manifests/policies.js';
import type { PolicyTestVerdict } from '../policy/test-runner.js';
import { REPO_CONFIG_FILE } from '../manifests/repo-config.js';
import type { PlannedStack } from '../plan/planner.js';
import type { LoadedPolicies, PolicyCache } from '../policy/compile.js';
import { type StackPolicyReport, brokenPolicyResults, evaluatePolicies } from '../policy/evaluate.js';
import { NO_PR, type PrInput, planInput, prInput, stackInputs } from '../policy/inputs.js';
import type { Workspace } from './workspace.js';

/** The policy compiler (and the CEL interpreter under it), loaded when a repository has policy files. */
const compiler = () => import('../policy/compile.js');

/** Policies at a commit, and judging a planned stack by them. The policies a plan is judged by are the base branch's. */

const caches = new WeakMap<Workspace, PolicyCache>();

/** The policies of `.driftless/policies/` at a commit, compiled once per blob id for this workspace. */
export async function policiesAt(ws: Workspace, commit: string | null): Promise<LoadedPolicies> {
  if (!commit) return { policies: [], diagnostics: [] };
  const files = await ws.repo.listFiles(commit, POLICIES_DIR, isPolicyPath);
  if (!files.length) return { policies: [], diagnostics: [] };
  let cache = caches.get(ws);
  if (!cache) caches.set(ws, (cache = new Map()));
  const known = cache;
  const missing = files.filter((f) => !known.has(`${f.oid}\0${f.path}`));
  const texts = await ws.repo.readTexts(missing.map((f) => f.oid));
  const sources = new Map(missing.map((f, i) => [f.oid, texts[i]]));
  const { loadPolicies } = await compiler();
  return loadPolicies(
    files.map((f) => ({ path: f.path, oid: f.oid, source: sources.get(f.oid) ?? '' })),
    cache,
  );
}

/** The problems of the policy files at a commit (for `validate` and a pull request that edits them). */
export async function policyDiagnostics(ws: Workspace, commit: string): Promise<Diagnostic[]> {
  return (await policiesAt(ws, commit)).diagnostics;
}

/** Judge a planned stack by policies (each rule within its budget); a policy file that does not load fails (fail closed). */
export async function judgeStack(
  loaded: LoadedPolicies,
  planned: Pick<PlannedStack, 'plan' | 'steps'>,
  o: { pr?: PrInput | null; budgetMs?: number } = {},
): Promise<StackPolicyReport> {
  const plan = planned.plan;
  const broken = brokenPolicyResults(loaded.diagnostics);
  if (!loaded.policies.length) return { stack: plan.stack, digest: plan.digest, results: broken };
  const changes = stackInputs(planned);
  const results = await evaluatePolicies(loaded.policies, changes, {
    stack: plan.stack,
    plan: planInput(plan, changes),
    pr: prInput(o.pr ?? NO_PR),
    policyBudgetMs: o.budgetMs,
  });
  return { stack: plan.stack, digest: plan.digest, results: [...broken, ...results] };
}

/**
 * What a change does to the rules that judge plans, in words: policy files added, changed or
 * removed, and each stack's apply settings (`apply`, `targets`) that differ between `base` and
 * `commit`. Empty when it changes none of them.
 */
export async function governanceChanges(ws: Workspace, base: string | null, commit: string, changed: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const path of changed.filter(isPolicyPath)) {
    const [before, after] = await Promise.all([base ? ws.repo.readFileAt(base, path) : null, ws.repo.readFileAt(commit, path)]);
    const level = (f: { content: Buffer } | null) => (f ? /^level:\s*["']?([a-z-]+)/m.exec(f.content.toString('utf8'))?.[1] : undefined);
    if (!before && after) out.push(`policy file \`${path}\` is added`);
    else if (before && !after) out.push(`policy file \`${path}\` is removed`);
    else if (before && after) {
      const [a, b] = [level(before), level(after)];
      out.push(`policy file \`${path}\` is changed${a && b && a !== b ? ` (level \`${a}\` → \`${b}\`)` : ''}`);
    }
  }
  if (!changed.includes(REPO_CONFIG_FILE)) return out;
  const [was, now] = await Promise.all([base ? ws.repoAt(base).catch(() => null) : null, ws.repoAt(commit).catch(() => null)]);
  const a = was?.repoConfig?.stacks ?? {};
  const b = now?.repoConfig?.stacks ?? {};
  for (const name of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const x = a[name];
    const y = b[name];
    if (!x || !y) continue; // a new or removed stack is a plan of its own
    if ((x.apply ?? 'auto') !== (y.apply ?? 'auto')) out.push(`stack \`${name}\`: \`apply\` from \`${x.apply ?? 'auto'}\` to \`${y.apply ?? 'auto'}\``);
    if (JSON.stringify(x.targets ?? {}) !== JSON.stringify(y.targets ?? {})) {
      out.push(`stack \`${name}\`: \`targets\` from \`${JSON.stringify(x.targets ?? {})}\` to \`${JSON.stringify(y.targets ?? {})}\``);
    }
  }
  return out;
}

/**
 * The policies and policy tests of a directory on disk (a work tree, in CI, without a service or a
 * config): `.driftless/policies/*.yaml` and `.driftless/policies/tests/*.yaml`.
 */
export async function policyTestsIn(dir: string): Promise<{ verdicts: PolicyTestVerdict[]; diagnostics: Diagnostic[] }> {
  const read = async (sub: string) => {
    const names = await readdir(join(dir, sub)).catch(() => [] as string[]);
    return Promise.all(
      names
        .filter((n) => /\.ya?ml$/.test(n))
        .sort()
        .map(async (n) => ({ path: `${sub}/${n}`, source: await readFile(join(dir, sub, n), 'utf8') })),
    );
  };
  const files = await read(POLICIES_DIR);
  const [{ loadPolicies }, { runPolicyTest }] = await Promise.all([compiler(), import('../policy/test-runner.js')]);
  const loaded = loadPolicies(files.map((f) => ({ ...f, oid: f.path })));
  const diagnostics = [...loaded.diagnostics];
  const verdicts: PolicyTestVerdict[] = [];
  for (const t of await read(POLICY_TESTS_DIR)) {
    const parsed = parsePolicyTest(t.path, t.source);
    diagnostics.push(...parsed.diagnostics);
    if (parsed.test) verdicts.push(await runPolicyTest(loaded.policies, parsed.test));
  }
  return { verdicts, diagnostics };
}
