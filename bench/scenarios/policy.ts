import { loadPolicies, type PolicySource } from '../../src/policy/compile.js';
import { evaluatePolicies } from '../../src/policy/evaluate.js';
import { NO_PR, planInput, prInput, stackInputs } from '../../src/policy/inputs.js';
import type { Plan } from '../../src/plan/model.js';
import type { Step } from '../../src/plan/planner.js';
import type { DesiredResource } from '../../src/plan/desired.js';
import type { BenchContext, Scenario, ScenarioResult } from '../types.js';
import { fmtMs, gc, log, median, spread } from '../util.js';

/**
 * 20 policies over one plan of 10,000 changes (files and directories, some world-writable, some
 * with TODOs): the inputs built from the planned stack (sensitive values masked) and every rule
 * evaluated within its budget. Rules are compiled once per policy file blob (setup, not measured).
 */

const RULES: [string, string, string][] = [
  ['no-world-writable', 'match: { kinds: [File] }', "!(change.after.spec.mode.endsWith('6') || change.after.spec.mode.endsWith('7'))"],
  ['no-todo', 'match: { kinds: [File], actions: [create, update] }', "!change.after.spec.content.contains('TODO')"],
  ['path-under-srv', '', "change.action == 'delete' || !change.after.spec.path.startsWith('/')"],
  ['no-dotdot', '', "change.action == 'delete' || !change.after.spec.path.contains('..')"],
  ['names-lowercase', '', "change.name.matches('^[a-z0-9._/-]+$')"],
  ['no-deletes-of-etc', 'match: { actions: [delete] }', "!change.id.contains('etc')"],
  ['mode-is-octal', 'match: { kinds: [File, Directory] }', "change.after.spec.mode.matches('^0?[0-7]{3}$')"],
  ['content-size', 'match: { kinds: [File] }', 'size(change.after.spec.content) < 100000'],
  ['no-secrets-in-content', 'match: { kinds: [File] }', "!change.after.spec.content.matches('(?i)password\\\\s*=')"],
  ['diff-bounded', '', 'size(change.diff) < 50'],
  ['small-plans', '', 'plan.summary.delete < 100'],
  ['not-friday', '', "pr.author != 'friday-bot'"],
  ['reviewed-label', '', "pr.number == 0 || 'reviewed' in pr.labels"],
  ['no-replace', '', "change.action != 'replace' || change.kind.endsWith('Directory')"],
  ['kind-known', '', "change.kind.startsWith('fs.driftless.dev/v1/')"],
  ['ids-have-kind', '', "change.id.startsWith('File/') || change.id.startsWith('Directory/')"],
  ['no-tmp', 'match: { kinds: [File] }', "!change.after.spec.path.startsWith('tmp/')"],
  ['no-exec-bit-in-web', "match: { stacks: ['web*'], kinds: [File] }", "!change.after.spec.mode.endsWith('5')"],
  ['dir-mode', 'match: { kinds: [Directory] }', "change.after.spec.mode != '0777'"],
  ['diff-paths-in-spec', '', "change.diff.all(d, d.path.startsWith('/spec'))"],
];

export function policies(): PolicySource[] {
  return RULES.map(([name, match, rule], i) => ({
    path: `.driftless/policies/${name}.yaml`,
    oid: `blob${i}`,
    source: `name: ${name}\nlevel: ${i % 3 === 0 ? 'hard-mandatory' : i % 3 === 1 ? 'soft-mandatory' : 'advisory'}\n${match ? `${match}\n` : ''}rule: ${JSON.stringify(rule)}\nmessage: "{{change.id}} fails ${name}"\n`,
  }));
}

export function plannedStack(n: number): { plan: Plan; steps: Map<string, Step> } {
  const steps = new Map<string, Step>();
  const changes: Step[] = [];
  for (let i = 0; i < n; i++) {
    const dir = i % 10 === 0;
    const kind = dir ? 'Directory' : 'File';
    const id = `${kind}/f${i}`;
    const spec = dir
      ? { path: `d${i}`, mode: '0755' }
      : { path: `d${i - (i % 10)}/f${i}.txt`, content: i % 97 === 0 ? 'TODO: later\n' : `line ${i}\n`, mode: i % 113 === 0 ? '0666' : '0644' };
    const desired = { id, apiVersion: 'fs.driftless.dev/v1', kind, name: `f${i}`, spec, sensitive: [], secretPaths: [] } as unknown as DesiredResource;
    const step: Step = {
      id,
      action: 'create',
      diff: Object.entries(spec).map(([k, v]) => ({ path: `/spec/${k}`, after: v })),
      dependsOn: [],
      reason: '',
      desired,
    };
    steps.set(id, step);
    changes.push(step);
  }
  const plan = {
    formatVersion: 1,
    repo: 'bench',
    stack: 'web',
    commit: '0'.repeat(40),
    appliedCommit: null,
    stateSerial: 0,
    changes,
    drift: [],
    orphans: [],
    errors: [],
    summary: { create: n, update: 0, replace: 0, delete: 0, noop: 0 },
    digest: 'sha256:bench',
  } as Plan;
  return { plan, steps };
}

export const policyScenario: Scenario = {
  name: 'policy',
  title: 'Policies: 20 rules over a plan of 10,000 changes',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const n = ctx.quick ? 1_000 : 10_000;
    const loaded = loadPolicies(policies());
    if (loaded.diagnostics.length) throw new Error(`bench policies do not compile: ${loaded.diagnostics.map((d) => d.message).join('; ')}`);
    const planned = plannedStack(n);
    const once = async () => {
      const changes = stackInputs(planned);
      return evaluatePolicies(loaded.policies, changes, { stack: 'web', plan: planInput(planned.plan, changes), pr: prInput(NO_PR) });
    };
    let failures = 0;
    for (let i = 0; i < ctx.warmup; i++) await once();
    const samples: number[] = [];
    for (let i = 0; i < ctx.iterations; i++) {
      gc();
      const t = performance.now();
      const results = await once();
      samples.push(performance.now() - t);
      failures = results.reduce((k, r) => k + r.failures.length, 0);
    }
    const ms = median(samples);
    log(`  ${loaded.policies.length} policies × ${n} changes: ${fmtMs(ms)} (${failures} failures found)`);
    return {
      name: 'policy',
      title: this.title,
      rows: [
        {
          scenario: `8 policy: ${loaded.policies.length} rules × ${n} changes`,
          metric: 'evaluate',
          unit: 'ms',
          driftless: ms,
          peer: null,
          target: '< 200 ms',
          pass: ctx.quick ? null : ms < 200,
          samples: { driftless: samples, peer: [] },
          note: `${failures} failures; spread ${spread(samples).toFixed(0)}%`,
        },
      ],
      notes: [
        'Inputs built from the planned stack (sensitive values masked) and every rule evaluated within its cost limit and time budget; compiling (once per policy blob) is not measured.',
      ],
    };
  },
};
