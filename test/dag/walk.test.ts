import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Graph } from '../../src/dag/graph.js';
import { CycleError, type NodeOutcome, walk } from '../../src/dag/walk.js';
import { dagArb } from './arbitraries.js';

function graphOf(edges: [string, string][], nodes: string[] = []): Graph {
  const g = new Graph();
  for (const id of nodes) g.add(id);
  for (const [from, to] of edges) g.connect(from, to);
  return g;
}

/** A promise to wait on and the function that settles it. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

const tick = () => new Promise<void>((r) => setImmediate(r));

function statuses(outcomes: Map<string, NodeOutcome>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [id, o] of [...outcomes].sort(([a], [b]) => (a < b ? -1 : 1))) out[id] = o.status === 'skipped' ? `skipped: ${o.reason}` : o.status;
  return out;
}

describe('walk', () => {
  it('runs nothing on an empty graph', async () => {
    const calls: string[] = [];
    const r = await walk(new Graph(), { parallelism: 2, step: async (id) => void calls.push(id) });
    expect(r.size).toBe(0);
    expect(calls).toEqual([]);
  });

  it('runs each node after its dependencies, roots in the order added', async () => {
    const g = graphOf(
      [
        ['app', 'db'],
        ['proxy', 'app'],
      ],
      ['db', 'logs'],
    );
    const calls: string[] = [];
    const r = await walk(g, { parallelism: 1, step: async (id) => void calls.push(id) });
    expect(calls).toEqual(['db', 'logs', 'app', 'proxy']);
    expect(statuses(r)).toEqual({ app: 'ok', db: 'ok', logs: 'ok', proxy: 'ok' });
    expect([...r.keys()]).toEqual(calls);
  });

  it('a failure skips what depends on it, transitively, naming the dependency; independent branches finish', async () => {
    const g = graphOf([
      ['app', 'db'],
      ['proxy', 'app'],
      ['report', 'logs'],
    ]);
    const boom = new Error('db refused');
    const calls: string[] = [];
    const r = await walk(g, {
      parallelism: 4,
      step: async (id) => {
        calls.push(id);
        if (id === 'db') throw boom;
      },
    });
    expect(statuses(r)).toEqual({
      app: 'skipped: db did not succeed',
      db: 'failed',
      logs: 'ok',
      proxy: 'skipped: app did not succeed',
      report: 'ok',
    });
    expect(r.get('db')).toEqual({ status: 'failed', error: boom });
    expect(r.get('app')).toMatchObject({ blockedBy: 'db' });
    expect(calls.sort()).toEqual(['db', 'logs', 'report']);
  });

  it('a node waits for all its dependencies, then names the first (in connection order) that did not succeed', async () => {
    const g = graphOf([
      ['app', 'zeta'],
      ['app', 'alpha'],
      ['app', 'slow'],
    ]);
    const slow = gate();
    const done = walk(g, {
      parallelism: 4,
      step: async (id) => {
        if (id === 'slow') await slow.wait;
        if (id !== 'slow') throw new Error(`${id} failed`);
      },
    });
    for (let i = 0; i < 5; i++) await tick();
    slow.open();
    const r = await done;
    expect(r.get('app')).toEqual({ status: 'skipped', reason: 'zeta did not succeed', blockedBy: 'zeta' });
    expect(r.get('slow')).toEqual({ status: 'ok' });
  });

  it('a step that throws before returning a promise failed', async () => {
    const g = graphOf([['b', 'a']]);
    const r = await walk(g, {
      parallelism: 1,
      step: ((id: string) => {
        if (id === 'a') throw new Error('at once');
        return Promise.resolve();
      }) as (id: string) => Promise<void>,
    });
    expect(statuses(r)).toEqual({ a: 'failed', b: 'skipped: a did not succeed' });
  });

  it('starts at most `parallelism` steps, and that many when they are ready', async () => {
    const g = graphOf([], ['a', 'b', 'c', 'd', 'e']);
    const release = gate();
    const started: string[] = [];
    const done = walk(g, {
      parallelism: 3,
      step: async (id) => {
        started.push(id);
        await release.wait;
      },
    });
    for (let i = 0; i < 5; i++) await tick();
    expect(started).toEqual(['a', 'b', 'c']);
    release.open();
    await done;
    expect(started).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('reversed, a node waits for its dependents', async () => {
    const g = graphOf([
      ['app', 'db'],
      ['proxy', 'app'],
      ['worker', 'db'],
    ]);
    const calls: string[] = [];
    const r = await walk(g, { parallelism: 1, reverse: true, step: async (id) => void calls.push(id) });
    expect(calls).toEqual(['proxy', 'worker', 'app', 'db']);
    expect(Object.values(statuses(r))).toEqual(['ok', 'ok', 'ok', 'ok']);
    const failing = await walk(g, {
      parallelism: 1,
      reverse: true,
      step: async (id) => {
        if (id === 'worker') throw new Error('no');
      },
    });
    expect(statuses(failing)).toEqual({ app: 'ok', db: 'skipped: worker did not succeed', proxy: 'ok', worker: 'failed' });
  });

  it('an abort skips what has not started ("shutting down"); running steps finish; their dependents name them', async () => {
    const g = graphOf(
      [
        ['app', 'db'],
        ['proxy', 'app'],
      ],
      ['db', 'a', 'b', 'c'],
    );
    const ctl = new AbortController();
    const calls: string[] = [];
    const r = await walk(g, {
      parallelism: 2,
      signal: ctl.signal,
      step: async (id) => {
        calls.push(id);
        if (id === 'a') ctl.abort();
        await tick();
      },
    });
    expect(calls).toEqual(['db', 'a']);
    expect(statuses(r)).toEqual({
      a: 'ok',
      app: 'skipped: shutting down',
      b: 'skipped: shutting down',
      c: 'skipped: shutting down',
      db: 'ok',
      proxy: 'skipped: app did not succeed',
    });
  });

  it('an already aborted signal runs nothing', async () => {
    const g = graphOf([['b', 'a']], ['c']);
    const calls: string[] = [];
    const r = await walk(g, { parallelism: 2, signal: AbortSignal.abort(), step: async (id) => void calls.push(id) });
    expect(calls).toEqual([]);
    expect(statuses(r)).toEqual({ a: 'skipped: shutting down', b: 'skipped: a did not succeed', c: 'skipped: shutting down' });
  });

  it('refuses a cycle before running anything, naming it', async () => {
    const g = graphOf([
      ['a', 'b'],
      ['b', 'c'],
      ['c', 'a'],
      ['d', 'x'],
    ]);
    const calls: string[] = [];
    const p = walk(g, { parallelism: 2, step: async (id) => void calls.push(id) });
    await expect(p).rejects.toThrow(CycleError);
    await expect(p).rejects.toThrow('dependency cycle: a -> b -> c -> a');
    expect(calls).toEqual([]);
  });

  it('refuses a parallelism below 1', async () => {
    await expect(walk(graphOf([], ['a']), { parallelism: 0, step: async () => {} })).rejects.toThrow(RangeError);
  });

  it('many ready nodes queue for a slot and start in the order they were added', async () => {
    const n = 5000;
    const g = graphOf(
      [],
      Array.from({ length: n }, (_, i) => `w${i}`),
    );
    const calls: string[] = [];
    const r = await walk(g, { parallelism: 2, step: async (id) => void calls.push(id) });
    expect(calls).toEqual([...g.ids()]);
    expect([...r.values()].every((o) => o.status === 'ok')).toBe(true);
  });

  it('a long chain whose first node fails is skipped to the end without exhausting the stack', async () => {
    const n = 50_000;
    const g = new Graph();
    g.add('c0');
    for (let i = 1; i < n; i++) g.connect(`c${i}`, `c${i - 1}`);
    const r = await walk(g, {
      parallelism: 8,
      step: async () => {
        throw new Error('first');
      },
    });
    expect(r.size).toBe(n);
    expect(r.get(`c${n - 1}`)).toEqual({ status: 'skipped', reason: `c${n - 2} did not succeed`, blockedBy: `c${n - 2}` });
  });
});

/** What must hold of one walk, checked after it (violations are collected, since a throw inside a step would only fail the node). */
async function checkWalk(o: {
  graph: Graph;
  parallelism: number;
  reverse: boolean;
  fails: Set<string>;
  abortAfter?: number;
  scheduler: fc.Scheduler;
}): Promise<void> {
  const { graph, reverse } = o;
  const waitsFor = (id: string) => (reverse ? graph.dependentSet(id) : graph.dependencySet(id));
  const ctl = new AbortController();
  const calls = new Map<string, number>();
  const finishedOk = new Set<string>();
  const startedBeforeAbort = new Set<string>();
  const violations: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const outcomes = await o.scheduler.waitFor(
    walk(graph, {
      parallelism: o.parallelism,
      reverse,
      signal: ctl.signal,
      step: async (id) => {
        calls.set(id, (calls.get(id) ?? 0) + 1);
        if (ctl.signal.aborted) violations.push(`${id} started after the abort`);
        startedBeforeAbort.add(id);
        for (const d of waitsFor(id)) if (!finishedOk.has(d)) violations.push(`${id} started before ${d} finished ok`);
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        if (o.abortAfter !== undefined && startedBeforeAbort.size >= o.abortAfter) ctl.abort();
        try {
          await o.scheduler.schedule(Promise.resolve(), id);
          if (o.fails.has(id)) throw new Error(`${id} failed`);
          finishedOk.add(id);
        } finally {
          inFlight--;
        }
      },
    }),
  );
  expect(violations).toEqual([]);
  expect(maxInFlight).toBeLessThanOrEqual(o.parallelism);
  for (const [id, n] of calls) expect(n, id).toBe(1);
  expect(outcomes.size).toBe(graph.size);
  // Expected outcomes, computed in a dependency order of the walk's direction.
  const order = graph.topologicalOrder()!;
  if (reverse) order.reverse();
  const expected = new Map<string, string>();
  for (const id of order) {
    const blocked = [...waitsFor(id)].some((d) => expected.get(d) !== 'ok');
    if (blocked) expected.set(id, 'skipped');
    else if (!startedBeforeAbort.has(id)) expected.set(id, 'shutting down');
    else expected.set(id, o.fails.has(id) ? 'failed' : 'ok');
  }
  for (const id of graph.ids()) {
    const got = outcomes.get(id)!;
    const want = expected.get(id)!;
    if (want === 'skipped') {
      expect(got.status, id).toBe('skipped');
      const by = (got as { blockedBy?: string }).blockedBy!;
      expect(waitsFor(id).has(by), `${id} blocked by ${by}`).toBe(true);
      expect(outcomes.get(by)!.status).not.toBe('ok');
      expect(calls.has(id), `${id} was skipped but ran`).toBe(false);
    } else if (want === 'shutting down') {
      expect(got, id).toEqual({ status: 'skipped', reason: 'shutting down' });
      expect(o.abortAfter).toBeDefined();
    } else {
      expect(got.status, id).toBe(want);
    }
  }
}

describe('walk, properties over random DAGs and random failures', () => {
  const failuresOf = (graph: Graph) => fc.subarray(graph.nodes()).map((xs) => new Set(xs));

  it('each step runs at most once, after all its dependencies finished ok, never more than `parallelism` at once; a node is skipped iff a dependency did not succeed', async () => {
    await fc.assert(
      fc.asyncProperty(
        dagArb().chain((dag) => fc.tuple(fc.constant(dag), failuresOf(dag.graph))),
        fc.integer({ min: 1, max: 5 }),
        fc.scheduler(),
        async ([{ graph }, fails], parallelism, scheduler) => {
          await checkWalk({ graph, parallelism, reverse: false, fails, scheduler });
        },
      ),
    );
  });

  it('a reversed walk obeys the reversed order with the same rules', async () => {
    await fc.assert(
      fc.asyncProperty(
        dagArb().chain((dag) => fc.tuple(fc.constant(dag), failuresOf(dag.graph))),
        fc.integer({ min: 1, max: 5 }),
        fc.scheduler(),
        async ([{ graph }, fails], parallelism, scheduler) => {
          await checkWalk({ graph, parallelism, reverse: true, fails, scheduler });
        },
      ),
    );
  });

  it('an abort skips exactly what has not started, and nothing starts after it', async () => {
    await fc.assert(
      fc.asyncProperty(
        dagArb().chain((dag) => fc.tuple(fc.constant(dag), failuresOf(dag.graph), fc.integer({ min: 1, max: dag.graph.size }))),
        fc.integer({ min: 1, max: 5 }),
        fc.boolean(),
        fc.scheduler(),
        async ([{ graph }, fails, abortAfter], parallelism, reverse, scheduler) => {
          await checkWalk({ graph, parallelism, reverse, fails, abortAfter, scheduler });
        },
      ),
    );
  });
});
