/**
 * A directed acyclic graph of string ids. It knows nothing of resources: edges say
 * "`from` must come after `to`" (from depends on to).
 */
export class Graph {
  /** Edges by node; a node with none has no Set of its own (most of them, in a large stack). */
  private deps = new Map<string, Set<string> | undefined>();
  private rdeps = new Map<string, Set<string> | undefined>();

  add(id: string): void {
    if (!this.deps.has(id)) {
      this.deps.set(id, undefined);
      this.rdeps.set(id, undefined);
    }
  }

  /** `from` depends on `to`. Both must have been added. */
  connect(from: string, to: string): void {
    this.add(from);
    this.add(to);
    edgesOf(this.deps, from).add(to);
    edgesOf(this.rdeps, to).add(from);
  }

  has(id: string): boolean {
    return this.deps.has(id);
  }

  /** The number of nodes. */
  get size(): number {
    return this.deps.size;
  }

  /** Every node in the order it was added: O(1) to start, for linear passes. */
  ids(): IterableIterator<string> {
    return this.deps.keys();
  }

  /** What `id` depends on, in the order connected (unsorted, not copied: do not modify). */
  dependencySet(id: string): ReadonlySet<string> {
    return this.deps.get(id) ?? NONE;
  }

  /** What depends on `id`, in the order connected (unsorted, not copied: do not modify). */
  dependentSet(id: string): ReadonlySet<string> {
    return this.rdeps.get(id) ?? NONE;
  }

  nodes(): string[] {
    return [...this.deps.keys()].sort();
  }

  dependencies(id: string): string[] {
    return [...(this.deps.get(id) ?? [])].sort();
  }

  dependents(id: string): string[] {
    return [...(this.rdeps.get(id) ?? [])].sort();
  }

  /**
   * Every node, dependencies first, layer by layer (a layer: the nodes whose dependencies are all in
   * earlier layers), each layer sorted by id: deterministic, O(n log n). Null on a cycle.
   */
  topologicalOrder(): string[] | null {
    const remaining = new Map<string, number>();
    for (const [id, d] of this.deps) remaining.set(id, d?.size ?? 0);
    let layer = [...remaining]
      .filter(([, n]) => n === 0)
      .map(([id]) => id)
      .sort();
    const out: string[] = [];
    while (layer.length) {
      const next: string[] = [];
      for (const id of layer) {
        out.push(id);
        for (const r of this.rdeps.get(id) ?? NONE) {
          const n = remaining.get(r)! - 1;
          remaining.set(r, n);
          if (n === 0) next.push(r);
        }
      }
      layer = next.sort();
    }
    return out.length === this.deps.size ? out : null;
  }

  /** One cycle, in order, starting and ending at the same id (`[a, b, c, a]`), or null. */
  findCycle(): string[] | null {
    const state = new Map<string, 1 | 2>(); // 1 on stack, 2 done
    const stack: string[] = [];
    const visit = (id: string): string[] | null => {
      state.set(id, 1);
      stack.push(id);
      for (const d of this.dependencies(id)) {
        const s = state.get(d);
        if (s === 1) return [...stack.slice(stack.indexOf(d)), d];
        if (!s) {
          const c = visit(d);
          if (c) return c;
        }
      }
      stack.pop();
      state.set(id, 2);
      return null;
    };
    for (const id of this.nodes()) {
      if (!state.has(id)) {
        const c = visit(id);
        if (c) return c;
      }
    }
    return null;
  }
}

/** The edges of a node that has none. */
const NONE: ReadonlySet<string> = new Set();

function edgesOf(m: Map<string, Set<string> | undefined>, id: string): Set<string> {
  let s = m.get(id);
  if (!s) m.set(id, (s = new Set()));
  return s;
}
