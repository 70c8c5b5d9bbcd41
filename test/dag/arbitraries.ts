/** fast-check generators of random DAGs for the dag tests. */
import fc from 'fast-check';
import { Graph } from '../../src/dag/graph.js';

export interface RandomDag {
  graph: Graph;
  /** Every edge as [from, to]: `from` depends on `to`. */
  edges: [string, string][];
}

/**
 * Up to `maxNodes` nodes with shuffled names (so id order says nothing about dependency order) and
 * random edges, each from a later to an earlier node of a hidden order: acyclic by construction.
 */
export function dagArb(maxNodes = 24): fc.Arbitrary<RandomDag> {
  return fc.integer({ min: 1, max: maxNodes }).chain((n) =>
    fc
      .record({
        names: fc.shuffledSubarray(
          Array.from({ length: n }, (_, i) => `n${String(i).padStart(2, '0')}`),
          { minLength: n, maxLength: n },
        ),
        pairs: fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: n * 3 }),
      })
      .map(({ names, pairs }) => {
        const graph = new Graph();
        for (const id of names) graph.add(id);
        const edges: [string, string][] = [];
        for (const [a, b] of pairs) {
          if (a === b) continue;
          const edge: [string, string] = [names[Math.max(a, b)], names[Math.min(a, b)]];
          graph.connect(...edge);
          edges.push(edge);
        }
        return { graph, edges };
      }),
  );
}
