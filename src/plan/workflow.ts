/**
 * A commit's stacks as one workflow: their order (dependsOn in driftless.yaml and `!ref
 * stack:Kind/name…` between them), the checks of references across stacks, the values a downstream
 * plan sees of upstream outputs, and which downstream stacks must be planned again. Pure.
 */
import type { Graph } from '../dag/graph.js';
import type { RepoConfig } from '../manifests/repo-config.js';
import { ancestors, declaredStackGraph } from '../manifests/stack-deps.js';
import { UNKNOWN, type Ref } from '../manifests/values.js';
import { pointerToPath } from '../manifests/validate.js';
import type { DesiredResource, DesiredSet, SetIssue } from './desired.js';
import { isOutputSensitive } from './desired.js';
import type { Change, Plan, RecordedResource } from './model.js';
import type { KindInfo } from '../sdk/provider.js';
import { outputAt } from './resolve.js';
import { isSensitivePath } from './sensitive.js';
import { canonicalJson, sha256 } from './values.js';

/** `from` runs after `to`; `why` says what made the edge (dependsOn, or the references that use `to`). */
export interface WorkflowEdge {
  from: string;
  to: string;
  why: string[];
}

/** The `workflow` section of a plan across stacks. */
export interface WorkflowSummary {
  /** The planned stacks, in the order they apply (dependencies first). */
  stacks: string[];
  /** Each stack's plan digest, in order. */
  digests: { stack: string; digest: string }[];
  edges: WorkflowEdge[];
  /** Covers the stacks' digests in order: the workflow that was reviewed. */
  digest: string;
}

/** A cross-stack problem found in a stack's resource. */
export interface StackRefIssue extends SetIssue {
  stack: string;
}

/** The `!ref`s of a resource that name another stack's resource. */
export function stackRefs(d: { refs: { path: string; ref: Ref }[] }): { path: string; ref: Ref }[] {
  return d.refs.filter((r) => r.ref.stack !== undefined);
}

/**
 * The workflow's edges: each declared `dependsOn`, and each stack a stack's references use (which
 * must be a declared dependency or an ancestor of one). Sorted by from, to.
 */
export function workflowEdges(config: RepoConfig, desired: ReadonlyMap<string, DesiredSet | undefined>): WorkflowEdge[] {
  const edges = new Map<string, WorkflowEdge>();
  const edge = (from: string, to: string): WorkflowEdge => {
    const k = `${from}\u0000${to}`;
    let e = edges.get(k);
    if (!e) edges.set(k, (e = { from, to, why: [] }));
    return e;
  };
  for (const [name, s] of Object.entries(config.stacks)) {
    for (const dep of s.dependsOn ?? []) if (config.stacks[dep] && dep !== name) edge(name, dep).why.push('dependsOn');
  }
  for (const [name, set] of desired) {
    if (!set) continue;
    const used = new Map<string, Set<string>>();
    for (const d of set.resources.values()) {
      for (const { ref } of stackRefs(d)) {
        if (!config.stacks[ref.stack!] || ref.stack === name) continue;
        let s = used.get(ref.stack!);
        if (!s) used.set(ref.stack!, (s = new Set()));
        s.add(`!ref ${ref} (${d.id})`);
      }
    }
    for (const [to, why] of used) edge(name, to).why.push(...[...why].sort());
  }
  return [...edges.values()].sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : a.to < b.to ? -1 : a.to > b.to ? 1 : 0));
}

/**
 * References to other stacks that cannot work: an unknown stack, the stack itself, a stack that is
 * not a declared dependency (or an ancestor of one), a resource the other stack does not declare,
 * and a sensitive output taken by a field that is not writeOnly. A stack whose own manifests have
 * errors (no desired set) is not checked against.
 */
export function stackRefIssues(
  config: RepoConfig,
  desired: ReadonlyMap<string, DesiredSet | undefined>,
  graph: Graph = declaredStackGraph(config),
): StackRefIssue[] {
  const issues: StackRefIssue[] = [];
  for (const [name, set] of desired) {
    if (!set) continue;
    const up = new Set(ancestors(graph, name));
    for (const d of set.resources.values()) {
      for (const { path, ref } of stackRefs(d)) {
        const at = { stack: name, resource: d, path: pointerToPath(path) };
        const other = ref.stack!;
        if (other === name) {
          issues.push({ ...at, message: `!ref ${ref} names its own stack: write !ref ${ref.target}.outputs.${ref.field.join('.')}` });
        } else if (!config.stacks[other]) {
          issues.push({ ...at, message: `!ref ${ref} names stack ${other}, which driftless.yaml does not declare` });
        } else if (!up.has(other)) {
          issues.push({
            ...at,
            message: `!ref ${ref} uses stack ${other}, which stack ${name} does not depend on: add ${other} to stacks.${name}.dependsOn in driftless.yaml`,
          });
        } else {
          const upstream = desired.get(other);
          if (!upstream) continue; // not loaded, or has errors of its own
          const target = upstream.resources.get(ref.target);
          if (!target) issues.push({ ...at, message: `!ref ${ref} names ${ref.target}, which stack ${other} does not declare` });
          else if (isOutputSensitive(target, ref.field[0]) && !isSensitivePath(path, writeOnlyOf(d)))
            issues.push({
              ...at,
              message: `!ref ${ref} takes a sensitive output (derived from a secret or writeOnly field of ${ref.resource}); only a writeOnly field may receive it`,
            });
        }
      }
    }
  }
  return issues;
}

/** The fields a resource's kind marks writeOnly (its schema), as JSON pointers. */
function writeOnlyOf(d: DesiredResource): string[] {
  // d.sensitive holds the kind's writeOnly pointers plus !secret values and inherited ones; a field
  // given by a cross-stack !ref is neither a !secret nor inherited (cross-stack refs never are).
  const secrets = new Set(d.secretPaths);
  return d.sensitive.filter((p) => !secrets.has(p));
}

/**
 * The resources an upstream plan (or apply) changes, by id, each with the outputs that keep their
 * recorded value through the change: an update keeps each output its kind derives only from spec
 * fields (`KindInfo.outputSources`) the update does not touch. Every other output may change and is
 * unknown until the apply: all of them on a create, replace or delete, for a kind without
 * outputSources, and those derived from no field (an oid, an installed version).
 */
export type ChangedOutputs = ReadonlyMap<string, ReadonlySet<string>>;

const NONE: ReadonlySet<string> = new Set();

/** The ChangedOutputs of a plan's changes; `infoOf` gives a changed resource's kind (undefined: not known). */
export function changedOutputs(changes: readonly Pick<Change, 'id' | 'action' | 'diff'>[], infoOf: (id: string) => KindInfo | undefined): ChangedOutputs {
  const out = new Map<string, ReadonlySet<string>>();
  for (const c of changes) {
    const sources = c.action === 'update' ? infoOf(c.id)?.outputSources : undefined;
    if (!sources) {
      out.set(c.id, NONE);
      continue;
    }
    const paths = c.diff.map((e) => e.path).filter((p) => p.startsWith('/spec/'));
    const keeps = Object.entries(sources)
      .filter(([, from]) => from.length > 0 && !paths.some((p) => isSensitivePath(p, from)))
      .map(([name]) => name);
    out.set(c.id, keeps.length ? new Set(keeps) : NONE);
  }
  return out;
}

/** Every output of these resources may change (a drift repair, read from a run's results only). */
export function allOutputsChange(ids: Iterable<string>): ChangedOutputs {
  return new Map([...ids].map((id) => [id, NONE]));
}

/** Does the upstream change make the output a reference takes unknown? */
export function changesOutput(changed: ChangedOutputs | undefined, ref: Ref): boolean {
  const keeps = changed?.get(ref.target);
  return !!keeps && !keeps.has(ref.field[0]);
}

/** What a downstream plan knows of an upstream stack. */
export interface UpstreamView {
  /** The upstream stack's plan in this workflow, with what it changes; absent: not planned (unchanged). */
  changed?: ChangedOutputs;
  /** Its recorded resources. */
  recorded: ReadonlyMap<string, RecordedResource>;
}

/**
 * The value a downstream plan sees for a `!ref` to another stack: unknown when the upstream plan
 * may change that output (known after apply) or has never applied its resource, else the recorded output.
 */
export function upstreamValue(ref: Ref, view: UpstreamView | undefined): unknown {
  if (!view || changesOutput(view.changed, ref)) return UNKNOWN;
  return outputAt(view.recorded.get(ref.target)?.outputs, ref.field) ?? UNKNOWN;
}

/**
 * Does a stack refer to an output an upstream plan may change? Then it is planned again even when
 * its own files did not change; otherwise its plan could not differ and it is left alone.
 */
export function usesChangedOutputs(set: DesiredSet, changedByStack: ReadonlyMap<string, ChangedOutputs>): boolean {
  for (const d of set.resources.values()) {
    for (const { ref } of stackRefs(d)) if (changesOutput(changedByStack.get(ref.stack!), ref)) return true;
  }
  return false;
}

/** The workflow section of a plan across stacks: the stacks in order, their digests and the edges between them. */
export function workflowSummary(order: string[], plans: ReadonlyMap<string, Plan>, edges: WorkflowEdge[]): WorkflowSummary {
  const stacks = order.filter((s) => plans.has(s));
  const digests = stacks.map((stack) => ({ stack, digest: plans.get(stack)!.digest }));
  const inWorkflow = new Set(stacks);
  return {
    stacks,
    digests,
    edges: edges.filter((e) => inWorkflow.has(e.from) && inWorkflow.has(e.to)),
    digest: workflowDigest(digests),
  };
}

/** Covers what every stack of the workflow would do, in order. */
export function workflowDigest(digests: { stack: string; digest: string }[]): string {
  return sha256(canonicalJson({ workflow: digests }));
}
