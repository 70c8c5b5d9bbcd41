/**
 * A directed acyclic graph of string ids. It knows nothing of resources: edges say
 * "`from` must come after `to`" (from depends on to).
 */
export class Graph {
  /** Edges by node (see Edges below: small nodes hold no Set). */
  private deps = new Map<string, Edges>();
  private rdeps = new Map<string, Edges>();

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
    link(this.deps, from, to);
    link(this.rdeps, to, from);
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

  /** What `id` depends on, in the order connected (unsorted, not copied: do not modify; a Set of one is made for the caller). */
  dependencySet(id: string): ReadonlySet<string> {
    return asSet(this.deps.get(id));
  }

  /** What depends on `id`, in the order connected (unsorted, not copied: do not modify; a Set of one is made for the caller). */
  dependentSet(id: string): ReadonlySet<string> {
    return asSet(this.rdeps.get(id));
  }

  nodes(): string[] {
    return [...this.deps.keys()].sort();
  }

  dependencies(id: string): string[] {
    return [...each(this.deps.get(id))].sort();
  }

  dependents(id: string): string[] {
    return [...each(this.rdeps.get(id))].sort();
  }

  /**
   * Every node, dependencies first, layer by layer (a layer: the nodes whose dependencies are all in
   * earlier layers), each layer sorted by id: deterministic, O(n log n). Null on a cycle.
   */
  topologicalOrder(): string[] | null {
    const remaining = new Map<string, number>();
    for (const [id, d] of this.deps) remaining.set(id, count(d));
    let layer = [...remaining]
      .filter(([, n]) => n === 0)
      .map(([id]) => id)
      .sort();
    const out: string[] = [];
    while (layer.length) {
      const next: string[] = [];
      for (const id of layer) {
        out.push(id);
        for (const r of each(this.rdeps.get(id))) {
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

/**
 * A node's edges: none, the one other node, a frozen list of a few (a Set of two is 190 bytes, a
 * list of two 64: most files of a large stack depend on two directories), or a Set past that.
 */
type Edges = string | readonly string[] | Set<string> | undefined;

/** Past this many edges a node's list becomes a Set (a list's membership check is a scan). */
const LIST_MAX = 8;

/** The edges of a node that has none. */
const NONE: ReadonlySet<string> = new Set();

/** A node's edges as a Set (of one or a few: made for the caller). */
function asSet(e: Edges): ReadonlySet<string> {
  if (e === undefined) return NONE;
  if (typeof e === 'string') return new Set([e]);
  return e instanceof Set ? e : new Set(e);
}

/** A node's edges to go through (no Set made). */
function each(e: Edges): Iterable<string> {
  return typeof e === 'string' ? [e] : (e ?? NONE);
}

function count(e: Edges): number {
  if (e === undefined) return 0;
  if (typeof e === 'string') return 1;
  return e instanceof Set ? e.size : e.length;
}

function link(m: Map<string, Edges>, id: string, other: string): void {
  const e = m.get(id);
  if (e === undefined) m.set(id, other);
  else if (typeof e === 'string') {
    if (e !== other) m.set(id, Object.freeze([e, other]));
  } else if (e instanceof Set) e.add(other);
  else if (!e.includes(other)) m.set(id, e.length < LIST_MAX ? Object.freeze([...e, other]) : new Set([...e, other]));
}
