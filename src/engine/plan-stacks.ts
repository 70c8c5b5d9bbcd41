import type { Diagnostic } from '../manifests/diagnostics.js';
import { sortDiagnostics } from '../manifests/diagnostics.js';
import { ancestors, declaredStackGraph } from '../manifests/stack-deps.js';
import type { DesiredSet } from '../plan/desired.js';
import type { Plan } from '../plan/model.js';
import {
  changedOutputs,
  stackRefIssues,
  upstreamValue,
  usesChangedOutputs,
  workflowEdges,
  workflowSummary,
  type ChangedOutputs,
  type UpstreamView,
  type WorkflowSummary,
} from '../plan/workflow.js';
import type { Workspace, StackPlanResult, StackInputs } from './workspace.js';
import { PlanReuse } from './plan-reuse.js';
import { patchedPlan, type PatchRequest } from './plan-patch.js';
import { parseCacheDigest } from '../manifests/parse-cache-digest.js';

/** The verb `plan`: validate and plan the selected stacks at one commit, as one workflow in dependency order. */

export interface PlanAllResult {
  commit: string;
  /** Problems with driftless.yaml or repository schemas (no stack can be planned). */
  diagnostics: Diagnostic[];
  /** The selected stacks (and with `withDependents`, those planned again), in workflow order. */
  stacks: StackPlanResult[];
  /** The planned stacks as one workflow; absent when nothing was planned (validate only, or errors). */
  workflow?: WorkflowSummary;
}

export interface PlanStacksOptions {
  stack?: string;
  stacks?: string[];
  /** Read live state (default); false compares with recorded state only (pull request plans). */
  refresh?: boolean;
  validateOnly?: boolean;
  /**
   * Reuse the kept plans of stacks whose inputs are unchanged (a CLI plan on embedded state without
   * refresh; see plan-reuse.ts), and keep those that may be reused next time.
   */
  reuse?: PlanReuse;
  /**
   * Also plan each downstream stack that refers to an output a planned upstream stack changes
   * (its files did not change, but its plan may); downstream stacks with unchanged inputs are not planned.
   */
  withDependents?: boolean;
}

export async function planAll(ws: Workspace, commit: string, opts: PlanStacksOptions = {}): Promise<PlanAllResult> {
  const at = await ws.repoAt(commit);
  if (!at.repoConfig || at.diagnostics.length) return { commit, diagnostics: at.diagnostics, stacks: [] };
  const config = at.repoConfig;
  const graph = declaredStackGraph(config);
  const order = graph.topologicalOrder()!; // cycles are diagnostics of driftless.yaml
  const selected = new Set((opts.stacks ?? ws.selectStacks(config, opts.stack)).filter((s) => config.stacks[s]));
  // Stacks whose kept plan still holds (see plan-reuse.ts), or can be patched by the files changed
  // since (plan-patch.ts), are neither loaded nor planned.
  const reuse = opts.reuse && opts.refresh === false && !opts.validateOnly && !opts.withDependents ? opts.reuse : undefined;
  const keys = new Map<string, { key: string; shared: string; tree: string | null }>();
  const reused = new Map<string, Plan>();
  const patches = new Set<string>();
  if (reuse) {
    const shared = PlanReuse.sharedKey({ repoConfig: config, schemaDigest: parseCacheDigest(at.registry), targets: ws.config.targets });
    for (const name of selected) {
      const tree = await ws.repo.treeOid(commit, config.stacks[name].path);
      const key = PlanReuse.key(shared, name, tree);
      keys.set(name, { key, shared, tree });
      let kept = reuse.lookup(name, key, commit);
      if (!kept && (kept = await patched(ws, reuse, { commit, repoConfig: config, registry: at.registry, stack: name, tree, key, shared }))) patches.add(name);
      if (kept) reused.set(name, kept);
    }
  }
  // Upstream stacks are loaded too: references into them are checked and resolved against them.
  const needed = new Set([...selected].filter((s) => !reused.has(s)));
  for (const s of [...needed]) for (const a of ancestors(graph, s)) needed.add(a);
  if (opts.withDependents) for (const s of order) if (!needed.has(s) && ancestors(graph, s).some((a) => selected.has(a))) needed.add(s);

  const inputs = new Map<string, StackInputs>();
  const load = async (name: string) => void inputs.set(name, await ws.stackInputs(commit, config, at.registry, name));
  for (const name of order) if (needed.has(name) && !reused.has(name)) await load(name);
  // A stack another (loaded) stack refers to is loaded and planned too: its references are checked
  // against it, and read its recorded outputs.
  for (const i of [...inputs.values()]) {
    for (const d of i.desired?.resources.values() ?? []) {
      for (const { ref } of d.refs) if (ref.stack !== undefined && reused.delete(ref.stack)) await load(ref.stack);
    }
  }
  const desired = new Map<string, DesiredSet | undefined>([...inputs].map(([n, i]) => [n, i.diagnostics.length ? undefined : i.desired]));
  for (const issue of stackRefIssues(config, desired, graph)) {
    const i = inputs.get(issue.stack)!;
    const pos = await ws.loader.locate(issue.resource.loc, issue.path, issue.target);
    i.diagnostics = sortDiagnostics([
      ...i.diagnostics,
      { file: issue.resource.loc.file, line: pos.line, col: pos.col, message: issue.message, resourceId: issue.resource.id },
    ]);
  }
  if (opts.validateOnly)
    return { commit, diagnostics: [], stacks: order.filter((s) => selected.has(s)).map((s) => ({ stack: s, diagnostics: inputs.get(s)!.diagnostics })) };

  const results = new Map<string, StackPlanResult>();
  const changed = new Map<string, ChangedOutputs>();
  const views = new Map<string, UpstreamView>();
  const view = async (stack: string): Promise<UpstreamView> => {
    let v = views.get(stack);
    if (!v) views.set(stack, (v = { recorded: await ws.recordedOf(stack) }));
    return v;
  };
  for (const name of order) {
    const kept = reused.get(name);
    if (kept) {
      results.set(name, { stack: name, diagnostics: [], reused: kept, patched: patches.has(name) || undefined });
      continue;
    }
    const i = inputs.get(name);
    if (!i) continue;
    const upstream = ancestors(graph, name);
    const plannedAgain = !selected.has(name) && !!i.desired && !i.diagnostics.length && usesChangedOutputs(i.desired, changed);
    if (!selected.has(name) && !plannedAgain) continue;
    const known = new Map<string, UpstreamView>();
    for (const u of upstream) known.set(u, { ...(await view(u)), changed: changed.get(u) });
    const r = await ws.planStack(i, { refresh: opts.refresh, readOnly: true, external: (ref) => upstreamValue(ref, known.get(ref.stack!)) }); // a plan only reads
    results.set(name, r);
    if (r.planned) {
      const p = r.planned.plan;
      const desiredNow = r.planned.desired;
      changed.set(
        name,
        changedOutputs(p.changes, (id) => desiredNow.resources.get(id)?.info),
      );
      views.set(name, { recorded: r.planned.recorded });
      const k = keys.get(name);
      if (reuse && k) reuse.keep(name, k.key, p, desiredNow, ws.spreads(config, name) ? undefined : k);
    }
  }
  const stacks = order.filter((s) => results.has(s)).map((s) => results.get(s)!);
  const plans = new Map<string, Plan>(stacks.flatMap((s) => (planOf(s) ? [[s.stack, planOf(s)!] as [string, Plan]] : [])));
  const workflow = plans.size ? workflowSummary(order, plans, workflowEdges(config, desired)) : undefined;
  return { commit, diagnostics: [], stacks, workflow };
}

/**
 * A stack's kept plan patched by the files changed since (see plan-patch.ts); kept in turn as the
 * next base when it has nothing to do. Undefined: the stack is planned in full.
 */
async function patched(ws: Workspace, reuse: PlanReuse, o: Omit<PatchRequest, 'kept'> & { key: string; shared: string }): Promise<Plan | undefined> {
  const kept = reuse.patchBase(o.stack, o.shared);
  if (!kept || !o.tree || ws.spreads(o.repoConfig, o.stack)) return undefined;
  const made = await patchedPlan(ws, { ...o, kept });
  if (made && !made.reshaped) reuse.keepPatched(o.stack, o.key, made.plan, kept.base, o.tree);
  return made?.plan;
}

/** A stack's plan: made now, or reused (undefined when it could not be planned). */
export function planOf(s: StackPlanResult): Plan | undefined {
  return s.planned?.plan ?? s.reused;
}
