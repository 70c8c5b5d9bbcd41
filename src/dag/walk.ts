/** Walks a Graph: each node's step once all it waits for succeeded, a bounded number at a time; a failure skips what waits for it. */
import { Limiter } from '../sdk/concurrency.js';
import type { Graph } from './graph.js';

/** How one node ended. `blockedBy` names the node it waited for that did not succeed. */
export type NodeOutcome = { status: 'ok' } | { status: 'failed'; error: unknown } | { status: 'skipped'; reason: string; blockedBy?: string };

export interface WalkOptions {
  /** Steps running at once (at least 1). */
  parallelism: number;
  /** Once aborted, nodes not yet started are skipped ("shutting down"); running steps finish. */
  signal?: AbortSignal;
  /** Walk the reversed graph: a node waits for its dependents instead of its dependencies. */
  reverse?: boolean;
  /** Carry out one node; a throw (or rejection) means the node failed. */
  step(id: string): Promise<void>;
}

/** The graph has a cycle, so no order exists; nothing was run. */
export class CycleError extends Error {
  override name = 'CycleError';
  constructor(readonly cycle: string[]) {
    super(`dependency cycle: ${cycle.join(' -> ')}`);
  }
}

const OK: NodeOutcome = { status: 'ok' };
const SHUTTING_DOWN: NodeOutcome = { status: 'skipped', reason: 'shutting down' };

/**
 * Run `step` once for every node, a node only after every node it waits for (its dependencies, or
 * its dependents when `reverse`) finished ok, at most `parallelism` steps at a time. A node whose
 * dependency failed or was skipped is skipped without running, naming the first such dependency
 * (in the order connected). Resolves when every node has an outcome, in the order they ended.
 * O(nodes + edges). Throws CycleError, before running anything, on a cycle.
 */
export async function walk(graph: Graph, o: WalkOptions): Promise<Map<string, NodeOutcome>> {
  const waitsFor = o.reverse ? (id: string) => graph.dependentSet(id) : (id: string) => graph.dependencySet(id);
  const waitedBy = o.reverse ? (id: string) => graph.dependencySet(id) : (id: string) => graph.dependentSet(id);
  const unsettled = new Map<string, number>();
  const ready: string[] = [];
  for (const id of graph.ids()) {
    const n = waitsFor(id).size;
    unsettled.set(id, n);
    if (n === 0) ready.push(id);
  }
  if (!reachesAll(graph.size, ready, unsettled, waitedBy)) throw new CycleError(graph.findCycle()!);

  const limiter = new Limiter(o.parallelism);
  const outcomes = new Map<string, NodeOutcome>();
  let head = 0;
  let draining = false;
  let resolve!: (outcomes: Map<string, NodeOutcome>) => void;
  const done = new Promise<Map<string, NodeOutcome>>((r) => (resolve = r));

  const settle = (id: string, outcome: NodeOutcome): void => {
    outcomes.set(id, outcome);
    for (const next of waitedBy(id)) {
      const n = unsettled.get(next)! - 1;
      unsettled.set(next, n);
      if (n === 0) ready.push(next);
    }
  };
  const start = (id: string): void => {
    void limiter.run(async () => {
      let outcome = SHUTTING_DOWN;
      if (!o.signal?.aborted) {
        try {
          await o.step(id);
          outcome = OK;
        } catch (error) {
          outcome = { status: 'failed', error };
        }
      }
      settle(id, outcome);
      drain();
    });
  };
  // Iterative (and never nested), so a long chain of skips cannot overflow the stack.
  const drain = (): void => {
    if (draining) return;
    draining = true;
    while (head < ready.length) {
      const id = ready[head++];
      const blockedBy = firstNotOk(waitsFor(id), outcomes);
      if (blockedBy !== undefined) settle(id, { status: 'skipped', reason: `${blockedBy} did not succeed`, blockedBy });
      else if (o.signal?.aborted) settle(id, SHUTTING_DOWN);
      else start(id);
    }
    ready.length = head = 0;
    draining = false;
    if (outcomes.size === graph.size) resolve(outcomes);
  };
  drain();
  return done;
}

function firstNotOk(ids: ReadonlySet<string>, outcomes: Map<string, NodeOutcome>): string | undefined {
  for (const d of ids) if (outcomes.get(d)!.status !== 'ok') return d;
  return undefined;
}

/** Kahn's count over a copy of the in-degrees: true when every node can be ordered (no cycle). */
function reachesAll(size: number, roots: string[], unsettled: Map<string, number>, waitedBy: (id: string) => ReadonlySet<string>): boolean {
  const left = new Map(unsettled);
  const queue = [...roots];
  for (let i = 0; i < queue.length; i++) {
    for (const next of waitedBy(queue[i])) {
      const n = left.get(next)! - 1;
      left.set(next, n);
      if (n === 0) queue.push(next);
    }
  }
  return queue.length === size;
}
