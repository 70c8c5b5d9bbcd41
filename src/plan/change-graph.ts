/**
 * The change graph of a workflow: its stacks, their resources (changed ones by action, unchanged
 * ones as nodes or collapsed into a count), the dependencies between resources (within a stack and
 * by `!ref` across stacks) and between stacks. Pure; rendered as Mermaid, DOT or JSON.
 */
import type { DesiredSet } from './desired.js';
import type { Action, Plan } from './model.js';
import type { WorkflowEdge } from './workflow.js';

export interface GraphResource {
  id: string;
  action: Action;
}

export interface GraphStack {
  name: string;
  /** Shown resources: the changed ones, and with `changesOnly: false` the unchanged ones too, sorted by id. */
  resources: GraphResource[];
  /** Unchanged resources not shown. */
  collapsed: number;
  summary: Record<Exclude<Action, 'noop'>, number> & { noop: number };
}

export interface ChangeGraph {
  /** In workflow order. */
  stacks: GraphStack[];
  /** Between stacks: `from` applies after `to`. */
  edges: WorkflowEdge[];
  /** Between shown resources, as `stack:Kind/name`: `from` applies after `to`. */
  resourceEdges: { from: string; to: string }[];
}

export interface StackGraphInput {
  name: string;
  plan: Plan;
  desired?: DesiredSet;
}

/** Build the change graph of planned stacks (in workflow order). */
export function changeGraph(stacks: StackGraphInput[], edges: WorkflowEdge[], o: { changesOnly?: boolean } = {}): ChangeGraph {
  const shown = new Set<string>();
  const out: GraphStack[] = [];
  for (const s of stacks) {
    const byId = new Map<string, Action>(s.plan.changes.map((c) => [c.id, c.action]));
    if (!o.changesOnly && s.desired) for (const id of s.desired.resources.keys()) if (!byId.has(id)) byId.set(id, 'noop');
    const resources = [...byId].map(([id, action]) => ({ id, action })).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const r of resources) shown.add(`${s.name}:${r.id}`);
    const noopShown = resources.filter((r) => r.action === 'noop').length;
    out.push({ name: s.name, resources, collapsed: s.plan.summary.noop - noopShown, summary: { ...s.plan.summary } });
  }
  const resourceEdges: { from: string; to: string }[] = [];
  for (const s of stacks) {
    for (const d of s.desired?.resources.values() ?? []) {
      const from = `${s.name}:${d.id}`;
      if (!shown.has(from)) continue;
      const targets = new Set(d.deps.map((x) => `${s.name}:${x}`));
      for (const { ref } of d.refs) if (ref.stack !== undefined) targets.add(`${ref.stack}:${ref.target}`);
      for (const to of [...targets].sort()) if (shown.has(to)) resourceEdges.push({ from, to });
    }
    // A deleted resource depends on what its record says.
    for (const c of s.plan.changes) {
      if (c.action !== 'delete') continue;
      for (const x of c.dependsOn) if (shown.has(`${s.name}:${x}`)) resourceEdges.push({ from: `${s.name}:${c.id}`, to: `${s.name}:${x}` });
    }
  }
  const names = new Set(stacks.map((s) => s.name));
  return { stacks: out, edges: edges.filter((e) => names.has(e.from) && names.has(e.to)), resourceEdges };
}

/** The graph with every stack's unchanged resources collapsed into its count. */
export function changesOnly(g: ChangeGraph): ChangeGraph {
  const stacks = g.stacks.map((s) => {
    const resources = s.resources.filter((r) => r.action !== 'noop');
    return { ...s, resources, collapsed: s.collapsed + (s.resources.length - resources.length) };
  });
  const shown = new Set(stacks.flatMap((s) => s.resources.map((r) => `${s.name}:${r.id}`)));
  return { ...g, stacks, resourceEdges: g.resourceEdges.filter((e) => shown.has(e.from) && shown.has(e.to)) };
}
