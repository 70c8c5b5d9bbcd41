import { html, type Html } from './html.js';

/**
 * The stack workflow graph on the overview: an SVG drawn on the server (no script), stacks in
 * layers by dependency depth (the stacks a stack depends on to its left, so it reads in apply
 * order), each node coloured by its status and labelled with it, an arrow from each dependency to
 * its dependent. Every label is escaped. Pure.
 */
export interface GraphStack {
  name: string;
  status: string;
  dependsOn: readonly string[];
}

export interface GraphLayout {
  nodes: { name: string; status: string; layer: number; row: number; x: number; y: number }[];
  /** `from` is a dependency of `to`: the arrow points at `to`. */
  edges: { from: string; to: string }[];
  width: number;
  height: number;
}

/** Beyond this many stacks the graph would be unreadable: the overview says so instead. */
export const GRAPH_MAX_STACKS = 300;

const W = 168;
const H = 44;
const GAP_X = 64;
const GAP_Y = 16;
const PAD = 8;
/** Characters of a name shown in a node; the whole name is its tooltip and in the text below. */
const LABEL_CHARS = 20;

/** Fill and text colour per status (the badges' colours: light fill, dark text, contrast above 4.5:1). */
const COLOURS: Record<string, [string, string]> = {
  'in-sync': ['#dafbe1', '#116329'],
  drifted: ['#fff8c5', '#6c4a00'],
  held: ['#fff8c5', '#6c4a00'],
  waiting: ['#fff8c5', '#6c4a00'],
  applying: ['#ddf4ff', '#0a3069'],
  failed: ['#ffebe9', '#82071e'],
  invalid: ['#ffebe9', '#82071e'],
};
const OTHER: [string, string] = ['#f6f8fa', '#1f2328'];

/** Layers by dependency depth (0: depends on nothing known), rows ordered to keep arrows short. */
export function layoutGraph(stacks: readonly GraphStack[]): GraphLayout {
  const byName = new Map(stacks.map((s) => [s.name, s]));
  const edges = stacks
    .flatMap((s) => [...new Set(s.dependsOn)].filter((d) => d !== s.name && byName.has(d)).map((d) => ({ from: d, to: s.name })))
    .sort((a, b) => a.to.localeCompare(b.to) || a.from.localeCompare(b.from));
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const depthOf = (name: string): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    if (visiting.has(name)) return 0; // a cycle (the config is refused elsewhere): cut it here
    visiting.add(name);
    const deps = byName.get(name)!.dependsOn.filter((d) => d !== name && byName.has(d));
    const d = deps.length ? 1 + Math.max(...deps.map(depthOf)) : 0;
    visiting.delete(name);
    depth.set(name, d);
    return d;
  };
  const layers: string[][] = [];
  for (const s of [...stacks].sort((a, b) => a.name.localeCompare(b.name))) (layers[depthOf(s.name)] ??= []).push(s.name);
  // Each layer after the first sorted by the mean row of its dependencies (the barycentre heuristic).
  const row = new Map<string, number>();
  layers.forEach((layer, i) => {
    if (i > 0) {
      const centre = (n: string): number => {
        const rows = byName
          .get(n)!
          .dependsOn.map((d) => row.get(d))
          .filter((r): r is number => r !== undefined);
        return rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : 0;
      };
      layer.sort((a, b) => centre(a) - centre(b) || a.localeCompare(b));
    }
    layer.forEach((n, r) => row.set(n, r));
  });
  const nodes = layers.flatMap((layer, l) =>
    layer.map((name, r) => ({ name, status: byName.get(name)!.status, layer: l, row: r, x: PAD + l * (W + GAP_X), y: PAD + r * (H + GAP_Y) })),
  );
  const rows = Math.max(1, ...layers.map((l) => l.length));
  return { nodes, edges, width: PAD * 2 + layers.length * W + (layers.length - 1) * GAP_X, height: PAD * 2 + rows * H + (rows - 1) * GAP_Y };
}

function label(name: string): string {
  return name.length > LABEL_CHARS ? `${name.slice(0, LABEL_CHARS - 1)}…` : name;
}

/** The graph as a figure (SVG and a caption in words), or nothing when no stack depends on another. */
export function renderStackGraph(stacks: readonly GraphStack[]): Html {
  const g = layoutGraph(stacks);
  if (!g.edges.length) return html``;
  const words = g.edges.map((e) => `${e.to} after ${e.from}`).join('; ');
  if (stacks.length > GRAPH_MAX_STACKS) {
    return html`<section aria-labelledby="workflow-h"><h2 id="workflow-h">Workflow</h2><p class="muted">${stacks.length} stacks, ${g.edges.length} dependencies: too many to draw (see <code>driftless graph</code>).</p></section>`;
  }
  const at = new Map(g.nodes.map((n) => [n.name, n]));
  const arrows = g.edges.map((e) => {
    const a = at.get(e.from)!;
    const b = at.get(e.to)!;
    const [x1, y1, x2, y2] = [a.x + W, a.y + H / 2, b.x - 2, b.y + H / 2];
    const mid = (x1 + x2) / 2;
    return html`<path class="edge" d="M${x1} ${y1} C${mid} ${y1} ${mid} ${y2} ${x2} ${y2}" fill="none" stroke="#57606a" stroke-width="1.5" marker-end="url(#arrow)"><title>${e.to} depends on ${e.from}</title></path>`;
  });
  const boxes = g.nodes.map((n) => {
    const [fill, ink] = COLOURS[n.status] ?? OTHER;
    return html`<g class="node" data-stack="${n.name}" data-status="${n.status}"><title>${n.name}: ${n.status}</title>
<rect x="${n.x}" y="${n.y}" width="${W}" height="${H}" rx="6" fill="${fill}" stroke="${ink}"/>
<text x="${n.x + 10}" y="${n.y + 18}" fill="#1f2328" font-size="13" font-weight="600">${label(n.name)}</text>
<text x="${n.x + 10}" y="${n.y + 35}" fill="${ink}" font-size="12">${n.status}</text></g>`;
  });
  return html`<section aria-labelledby="workflow-h"><h2 id="workflow-h">Workflow</h2>
<figure class="graph"><svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="workflow-title workflow-desc" width="${g.width}" height="${g.height}" viewBox="0 0 ${g.width} ${g.height}" font-family="system-ui, sans-serif">
<title id="workflow-title">Stack workflow: ${g.nodes.length} stacks, ${g.edges.length} dependencies</title>
<desc id="workflow-desc">${words}</desc>
<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="#57606a"/></marker></defs>
${arrows}${boxes}</svg>
<figcaption class="muted">Stacks apply from left to right; each arrow points at a stack that waits for another.</figcaption></figure></section>`;
}
