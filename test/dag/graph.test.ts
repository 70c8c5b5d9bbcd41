import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Graph } from '../../src/dag/graph.js';
import { dagArb } from './arbitraries.js';

function graphOf(edges: [string, string][], nodes: string[] = []): Graph {
  const g = new Graph();
  for (const id of nodes) g.add(id);
  for (const [from, to] of edges) g.connect(from, to);
  return g;
}

describe('Graph', () => {
  it('keeps nodes and edges both ways, sorted where asked, in connection order where not', () => {
    const g = graphOf(
      [
        ['web', 'db'],
        ['web', 'cache'],
        ['worker', 'db'],
      ],
      ['proxy'],
    );
    expect(g.size).toBe(5);
    expect(g.has('cache')).toBe(true);
    expect(g.has('nope')).toBe(false);
    expect(g.nodes()).toEqual(['cache', 'db', 'proxy', 'web', 'worker']);
    expect([...g.ids()]).toEqual(['proxy', 'web', 'db', 'cache', 'worker']);
    expect(g.dependencies('web')).toEqual(['cache', 'db']);
    expect([...g.dependencySet('web')]).toEqual(['db', 'cache']);
    expect(g.dependents('db')).toEqual(['web', 'worker']);
    expect([...g.dependentSet('db')]).toEqual(['web', 'worker']);
    expect(g.dependencies('nope')).toEqual([]);
    expect(g.dependencySet('nope').size).toBe(0);
    expect(g.dependentSet('proxy').size).toBe(0);
  });

  it('a repeated edge counts once', () => {
    const g = graphOf([
      ['a', 'b'],
      ['a', 'b'],
    ]);
    expect(g.dependencies('a')).toEqual(['b']);
    expect(g.dependents('b')).toEqual(['a']);
    expect(g.topologicalOrder()).toEqual(['b', 'a']);
  });

  it('counts each edge once and keeps connection order through every size of edge list', () => {
    // One edge, a few (a list) and many (past the list's size): repeats at every size count once.
    const targets = Array.from({ length: 20 }, (_, i) => `t${String(19 - i).padStart(2, '0')}`);
    const g = new Graph();
    for (const [i, t] of targets.entries()) {
      g.connect('hub', t);
      g.connect('hub', targets[Math.floor(i / 2)]); // a repeat of an edge already there
      g.connect(t, 'root');
    }
    expect([...g.dependencySet('hub')]).toEqual(targets);
    expect(g.dependencies('hub')).toEqual([...targets].sort());
    expect([...g.dependentSet('root')]).toEqual(targets);
    for (const t of targets) expect(g.dependents(t)).toEqual(['hub']);
    expect(g.topologicalOrder()).toEqual(['root', ...[...targets].sort(), 'hub']);
  });

  it('orders layer by layer, each layer sorted by id', () => {
    const g = graphOf(
      [
        ['z', 'm'],
        ['a', 'm'],
        ['m', 'y'],
      ],
      ['b'],
    );
    expect(g.topologicalOrder()).toEqual(['b', 'y', 'm', 'a', 'z']);
  });

  it('has no order and names a cycle in order when there is one', () => {
    const g = graphOf([
      ['a', 'b'],
      ['b', 'c'],
      ['c', 'a'],
      ['d', 'a'],
    ]);
    expect(g.topologicalOrder()).toBeNull();
    expect(g.findCycle()).toEqual(['a', 'b', 'c', 'a']);
    expect(graphOf([['a', 'a']]).findCycle()).toEqual(['a', 'a']);
    expect(graphOf([['a', 'b']]).findCycle()).toBeNull();
  });

  it('property: on a random DAG every node comes once and after all its dependencies; no cycle is found', () => {
    fc.assert(
      fc.property(dagArb(), ({ graph, edges }) => {
        const order = graph.topologicalOrder();
        expect(order).not.toBeNull();
        expect([...order!].sort()).toEqual(graph.nodes());
        const at = new Map(order!.map((id, i) => [id, i]));
        for (const [from, to] of edges) expect(at.get(to)!).toBeLessThan(at.get(from)!);
        expect(graph.findCycle()).toBeNull();
      }),
    );
  });

  it('property: an edge back along a path makes a cycle, and the cycle found is made of real edges', () => {
    fc.assert(
      fc.property(
        dagArb().filter(({ edges }) => edges.length > 0),
        fc.nat(),
        ({ graph, edges }, pick) => {
          const [from, to] = edges[pick % edges.length];
          graph.connect(to, from);
          expect(graph.topologicalOrder()).toBeNull();
          const cycle = graph.findCycle()!;
          expect(cycle[0]).toBe(cycle[cycle.length - 1]);
          for (let i = 0; i + 1 < cycle.length; i++) expect(graph.dependencySet(cycle[i]).has(cycle[i + 1])).toBe(true);
        },
      ),
    );
  });
});
