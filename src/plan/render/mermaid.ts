/** The change graph as a Mermaid flowchart (GitHub renders it in comments) and as Graphviz DOT. Pure. */
import type { ChangeGraph, GraphStack } from '../change-graph.js';
import type { Action } from '../model.js';

const SIGN: Record<Action, string> = { create: '+', update: '~', replace: '-/+', delete: '-', noop: '=' };

const CLASSES = [
  'classDef create fill:#e6ffed,stroke:#22863a,color:#24292e',
  'classDef update fill:#fff5b1,stroke:#b08800,color:#24292e',
  'classDef replace fill:#f5e6ff,stroke:#6f42c1,color:#24292e',
  'classDef delete fill:#ffeef0,stroke:#cb2431,color:#24292e',
  'classDef noop fill:#f6f8fa,stroke:#959da5,color:#586069',
];

export interface MermaidOptions {
  /** Past this many resource nodes, each stack is one node with its counts (default 80). */
  maxNodes?: number;
  /** Past this many characters, the same (default 20,000: a comment holds 65,536). */
  maxChars?: number;
}

/** A label in double quotes: quotes, `#`, `<` and `>` as Mermaid entity codes. */
function label(text: string): string {
  return `"${text.replace(/#/g, '#35;').replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;')}"`;
}

/** "2 to create, 1 to update, 40 unchanged" (only what is there). */
export function stackCounts(s: GraphStack): string {
  const parts: string[] = [];
  for (const a of ['create', 'update', 'replace', 'delete'] as const) if (s.summary[a]) parts.push(`${s.summary[a]} to ${a}`);
  if (s.summary.noop) parts.push(`${s.summary.noop} unchanged`);
  return parts.join(', ') || 'no resources';
}

function stackClass(s: GraphStack): Action {
  for (const a of ['replace', 'delete', 'update', 'create'] as const) if (s.summary[a]) return a;
  return 'noop';
}

/**
 * The workflow as a Mermaid flowchart: stacks as subgraphs in workflow order, changed resources as
 * nodes styled by action, unchanged ones collapsed into a count, arrows in apply order. Too large
 * a graph is summarised: one node per stack with its counts.
 */
export function renderMermaid(g: ChangeGraph, o: MermaidOptions = {}): string {
  const nodes = g.stacks.reduce((n, s) => n + s.resources.length, 0);
  if (nodes <= (o.maxNodes ?? 80)) {
    const full = detailed(g);
    if (full.length <= (o.maxChars ?? 20_000)) return full;
  }
  return summarised(g);
}

function detailed(g: ChangeGraph): string {
  const lines = ['flowchart LR'];
  const ids = new Map<string, string>();
  const stackIds = new Map<string, string>();
  g.stacks.forEach((s, i) => {
    const sid = `s${i}`;
    stackIds.set(s.name, sid);
    lines.push(`  subgraph ${sid}[${label(`${s.name}: ${stackCounts(s)}`)}]`, '    direction TB');
    s.resources.forEach((r, j) => {
      const id = `${sid}r${j}`;
      ids.set(`${s.name}:${r.id}`, id);
      lines.push(`    ${id}[${label(`${SIGN[r.action]} ${r.id}`)}]:::${r.action}`);
    });
    if (s.collapsed > 0) lines.push(`    ${sid}n[${label(`${s.collapsed} unchanged`)}]:::noop`);
    if (!s.resources.length && s.collapsed <= 0) lines.push(`    ${sid}e[${label('no resources')}]:::noop`);
    lines.push('  end');
  });
  for (const e of g.edges) lines.push(`  ${stackIds.get(e.to)} ==> ${stackIds.get(e.from)}`);
  for (const e of g.resourceEdges) lines.push(`  ${ids.get(e.to)} --> ${ids.get(e.from)}`);
  lines.push(...CLASSES.map((c) => `  ${c}`));
  return lines.join('\n') + '\n';
}

function summarised(g: ChangeGraph): string {
  const lines = ['flowchart LR'];
  const ids = new Map<string, string>();
  g.stacks.forEach((s, i) => {
    ids.set(s.name, `s${i}`);
    lines.push(`  s${i}[${label(`${s.name}: ${stackCounts(s)}`)}]:::${stackClass(s)}`);
  });
  for (const e of g.edges) lines.push(`  ${ids.get(e.to)} ==> ${ids.get(e.from)}`);
  lines.push(...CLASSES.map((c) => `  ${c}`));
  return lines.join('\n') + '\n';
}

const DOT_COLOUR: Record<Action, string> = { create: '#e6ffed', update: '#fff5b1', replace: '#f5e6ff', delete: '#ffeef0', noop: '#f6f8fa' };

/** The same graph in Graphviz DOT: stacks as clusters, arrows in apply order. */
export function renderDot(g: ChangeGraph): string {
  const q = (s: string) => JSON.stringify(s);
  const lines = ['digraph workflow {', '  rankdir=LR;', '  node [shape=box, style=filled];'];
  g.stacks.forEach((s, i) => {
    lines.push(`  subgraph cluster_${i} {`, `    label=${q(`${s.name}: ${stackCounts(s)}`)};`);
    lines.push(`    ${q(`${s.name}:`)} [label=${q(s.name)}, shape=point, style=invis];`);
    for (const r of s.resources) lines.push(`    ${q(`${s.name}:${r.id}`)} [label=${q(`${SIGN[r.action]} ${r.id}`)}, fillcolor=${q(DOT_COLOUR[r.action])}];`);
    if (s.collapsed > 0) lines.push(`    ${q(`${s.name}:(unchanged)`)} [label=${q(`${s.collapsed} unchanged`)}, fillcolor=${q(DOT_COLOUR.noop)}];`);
    lines.push('  }');
  });
  for (const e of g.edges) lines.push(`  ${q(`${e.to}:`)} -> ${q(`${e.from}:`)} [style=bold];`);
  for (const e of g.resourceEdges) lines.push(`  ${q(e.to)} -> ${q(e.from)};`);
  lines.push('}');
  return lines.join('\n') + '\n';
}
