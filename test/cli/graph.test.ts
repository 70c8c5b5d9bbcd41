import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { manifest } from '../helpers/git.js';
import { workflowRepo } from '../helpers/workflow-repo.js';
import { parseMermaid } from '../helpers/mermaid.js';
import { changeGraph } from '../../src/plan/change-graph.js';
import { renderMermaid } from '../../src/plan/render/mermaid.js';
import type { Plan } from '../../src/plan/model.js';

describe('the Mermaid parser used by these tests', () => {
  it('fails on an invalid diagram and passes a valid one', { timeout: 60_000 }, async () => {
    await expect(parseMermaid('flowchart LR\n  subgraph s0["db"]\n    a["+ File/a"]:::create\n  end\n  classDef create fill:#dfd\n')).resolves.toBe(
      'flowchart-v2',
    );
    await expect(parseMermaid('flowchart LR\n  subgraph s0["db"]\n  end end\n  a --> [[[\n')).rejects.toThrow(/Parse error/);
    await expect(parseMermaid('flowchart LR\n  a["unclosed]\n')).rejects.toThrow();
  });
});

describe('the README', () => {
  it('its example workflow diagram parses (so GitHub renders it)', { timeout: 60_000 }, async () => {
    const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1].replace(/^ {2}/gm, ''));
    expect(blocks.length).toBeGreaterThan(0);
    for (const b of blocks) expect(await parseMermaid(b)).toBe('flowchart-v2');
  });
});

describe('driftless graph', () => {
  it('prints the workflow as Mermaid (stacks as subgraphs, resources by action), DOT and JSON', { timeout: 120_000 }, async () => {
    const { cli, repo } = workflowRepo({ 'stacks/db/more.yaml': manifest('File', 'x"<y>#', { path: 'x.txt', content: 'x' }) });
    const m = await cli('graph');
    expect(m.code, m.err).toBe(0);
    expect(await parseMermaid(m.out)).toBe('flowchart-v2');
    expect(m.out).toContain('subgraph s0["db: 2 to create"]');
    expect(m.out).toContain('["+ File/conf"]:::create');
    expect(m.out).toContain('["+ File/x#quot;#lt;y#gt;#35;"]:::create'); // quotes and brackets cannot break the diagram
    expect(m.out).toContain('s0 ==> s2'); // db before app (workflow order db, other, app, edge)
    expect(m.out).toContain('s2 ==> s3');
    expect(m.out).toMatch(/s0r0 --> s2r0/); // File/conf (db) feeds File/cfg (app)

    expect((await cli('apply', '--auto-approve')).code).toBe(0);
    repo.commit({ 'stacks/db/db.yaml': manifest('File', 'conf', { path: 'db.conf', content: 'port 6432\n' }) });
    const c = await cli('graph', '--changes-only');
    expect(await parseMermaid(c.out)).toBe('flowchart-v2');
    expect(c.out).toContain('["~ File/conf"]:::update');
    expect(c.out).toMatch(/\["1 unchanged"\]:::noop/);
    const all = await cli('graph');
    expect(all.out).toContain('["= File/o"]:::noop');

    const dot = await cli('graph', '--format', 'dot');
    expect(dot.out).toMatch(/^digraph workflow \{/);
    expect(dot.out).toContain('"db:" -> "app:" [style=bold];');
    const j = JSON.parse((await cli('graph', '--format', 'json', '--changes-only')).out);
    expect(j.stacks.map((s: { name: string }) => s.name)).toEqual(['db', 'other', 'app', 'edge']);
    expect(j.stacks[0]).toMatchObject({ name: 'db', resources: [{ id: 'File/conf', action: 'update' }], collapsed: 1 });

    expect((await cli('graph', '--format', 'text')).err).toContain('--format takes mermaid, dot or json for graph');
  });

  it('summarises a large workflow per stack, and the summary still parses', { timeout: 60_000 }, async () => {
    const changes = Array.from({ length: 300 }, (_, i) => ({ id: `File/f${i}`, action: 'create' as const, diff: [], dependsOn: [], reason: 'new' }));
    const plan = (stack: string): Plan => ({
      formatVersion: 1,
      repo: 'r',
      stack,
      commit: 'c',
      appliedCommit: null,
      stateSerial: 0,
      changes,
      drift: [],
      orphans: [],
      errors: [],
      summary: { create: 300, update: 0, replace: 0, delete: 0, noop: 5000 },
      digest: 'sha256:x',
    });
    const g = changeGraph(
      [
        { name: 'db', plan: plan('db') },
        { name: 'app', plan: plan('app') },
      ],
      [{ from: 'app', to: 'db', why: ['dependsOn'] }],
    );
    const text = renderMermaid(g);
    expect(text.split('\n').length).toBeLessThan(20);
    expect(text).toContain('s0["db: 300 to create, 5000 unchanged"]:::create');
    expect(text).toContain('s0 ==> s1');
    expect(await parseMermaid(text)).toBe('flowchart-v2');
  });
});
