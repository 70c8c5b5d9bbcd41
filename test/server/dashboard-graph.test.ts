import { describe, expect, it } from 'vitest';
import { layoutGraph, renderStackGraph, GRAPH_MAX_STACKS } from '../../src/server/dashboard/graph.js';
import { renderOverview } from '../../src/server/dashboard/overview.js';

const count = (text: string, re: RegExp) => (text.match(re) ?? []).length;

describe('the workflow graph on the overview (pure)', () => {
  const stacks = [
    { name: 'db', status: 'in-sync', dependsOn: [] },
    { name: 'app', status: 'failed', dependsOn: ['db'] },
    { name: 'edge', status: 'waiting', dependsOn: ['app', 'db', 'gone'] },
    { name: 'docs', status: 'drifted', dependsOn: [] },
  ];

  it('lays stacks out in layers by dependency depth, dependencies to the left', () => {
    const g = layoutGraph(stacks);
    const layer = Object.fromEntries(g.nodes.map((n) => [n.name, n.layer]));
    expect(layer).toEqual({ db: 0, docs: 0, app: 1, edge: 2 });
    expect(g.edges).toEqual([
      { from: 'db', to: 'app' },
      { from: 'app', to: 'edge' },
      { from: 'db', to: 'edge' },
    ]);
    for (const e of g.edges) {
      const [a, b] = [g.nodes.find((n) => n.name === e.from)!, g.nodes.find((n) => n.name === e.to)!];
      expect(a.x).toBeLessThan(b.x);
    }
    // a cycle (refused elsewhere) does not hang the layout
    expect(
      layoutGraph([
        { name: 'a', status: 'x', dependsOn: ['b'] },
        { name: 'b', status: 'x', dependsOn: ['a'] },
      ]).nodes,
    ).toHaveLength(2);
  });

  it('draws one node per stack and one arrow per dependency, coloured and labelled by status, with text for screen readers', () => {
    const svg = renderStackGraph(stacks).text;
    expect(count(svg, /<g class="node"/g)).toBe(4);
    expect(count(svg, /<path class="edge"/g)).toBe(3);
    expect(count(svg, /marker-end="url\(#arrow\)"/g)).toBe(3);
    expect(svg).toMatch(/<g class="node" data-stack="app" data-status="failed"><title>app: failed<\/title>\s*<rect [^>]*fill="#ffebe9"/);
    expect(svg).toMatch(/<svg [^>]*role="img" aria-labelledby="workflow-title workflow-desc"/);
    expect(svg).toContain('<title id="workflow-title">Stack workflow: 4 stacks, 3 dependencies</title>');
    expect(svg).toContain('<desc id="workflow-desc">app after db; edge after app; edge after db</desc>');
    expect(svg).not.toMatch(/style=/); // the CSP allows no inline style
  });

  it('escapes every label, and shortens long names (the whole name stays in the tooltip)', () => {
    const evil = '<script>alert("x")</script>';
    const svg = renderStackGraph([
      { name: evil, status: '"><img src=x>', dependsOn: [] },
      { name: `b${'n'.repeat(40)}`, status: 'in-sync', dependsOn: [evil] },
    ]).text;
    expect(svg).not.toContain('<script>');
    expect(svg).not.toContain('<img');
    expect(svg).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(svg).toContain(`<title>b${'n'.repeat(40)}: in-sync</title>`);
    expect(svg).toContain(`>b${'n'.repeat(18)}…</text>`);
  });

  it('is left out when no stack depends on another, and summarised when too big to draw', () => {
    expect(renderStackGraph([{ name: 'a', status: 'in-sync', dependsOn: [] }]).text).toBe('');
    const many = Array.from({ length: GRAPH_MAX_STACKS + 1 }, (_, i) => ({ name: `s${i}`, status: 'in-sync', dependsOn: i ? ['s0'] : [] }));
    const big = renderStackGraph(many).text;
    expect(big).not.toContain('<svg');
    expect(big).toContain(`${GRAPH_MAX_STACKS + 1} stacks, ${GRAPH_MAX_STACKS} dependencies`);
    const page = renderOverview({
      ctx: { repo: 'r' },
      branch: 'main',
      head: null,
      stacks: stacks.map((s) => ({
        ...s,
        status: s.status as 'in-sync',
        path: `stacks/${s.name}`,
        appliedCommit: null,
        reason: null,
        lastRun: null,
        drifted: 0,
        nextDriftCheck: null,
        quarantinedBy: null,
      })),
    });
    expect(count(page, /<g class="node"/g)).toBe(4);
  });
});
