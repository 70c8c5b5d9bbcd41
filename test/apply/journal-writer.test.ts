import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openState } from '../../src/state/open.js';
import type { StateStore } from '../../src/state/store.js';
import { journalWriter } from '../../src/apply/journal-writer.js';
import { tempDir } from '../helpers/git.js';
import { recorded } from '../helpers/records.js';

/** A promise and the function that settles it. */
function gate(): { wait: Promise<void>; open(): void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

describe('journal writer: the journal writes of steps that run together share statements', () => {
  let store: StateStore;
  const statements: string[] = [];
  beforeAll(async () => {
    store = await openState({ dataDir: tempDir(), command: 'test' });
    // Count the store's journal statements (the real ones run).
    for (const m of ['journalStartMany', 'journalDoneMany', 'journalFinish'] as const) {
      const real = store[m].bind(store) as (...a: unknown[]) => Promise<unknown>;
      (store as unknown as Record<string, unknown>)[m] = (...a: unknown[]) => {
        statements.push(`${m}:${Array.isArray(a[2]) ? a[2].length : Array.isArray(a[1]) ? a[1].length : 1}`);
        return real(...a);
      };
    }
  });
  afterAll(async () => store.close());

  /** One step as the executor runs it: entry, provider call (`call`), outcome. */
  async function step(j: ReturnType<typeof journalWriter>, id: string, call: Promise<void>, name: string | null = id.split('/')[1]) {
    const entry = await j.start(id, 'create', recorded(id));
    await call;
    await j.done(entry, { put: { ...recorded(id, { path: id }), name: name as string } });
  }

  it('eight steps started together: one statement for their entries, one for their outcomes and state', async () => {
    const k = { repo: 'r', stack: 'eight' };
    const run = await store.startRun(k, { kind: 'apply', trigger: 'test', commit: 'c1' });
    const j = journalWriter(store, run, k);
    statements.length = 0;
    const calls = gate();
    const ids = Array.from({ length: 8 }, (_, i) => `File/f${i}`);
    const steps = Promise.all(ids.map((id) => step(j, id, calls.wait)));
    calls.open();
    await steps;
    expect(statements).toEqual(['journalStartMany:8', 'journalDoneMany:8']);
    expect([...(await store.resources(k)).keys()].sort()).toEqual(ids);
    // The serial moves once per change, as when each was written alone.
    expect(await store.stackState(k)).toMatchObject({ serial: 8 });
    expect((await store.journal(run)).every((e) => e.outcome === 'ok')).toBe(true);
  });

  it('a call still running does not hold the outcomes of those that returned', async () => {
    const k = { repo: 'r', stack: 'slow' };
    const run = await store.startRun(k, { kind: 'apply', trigger: 'test', commit: 'c1' });
    const j = journalWriter(store, run, k);
    const slow = gate();
    const slowStep = step(j, 'File/slow', slow.wait);
    const fast = await Promise.all(['File/a', 'File/b'].map((id) => step(j, id, Promise.resolve())));
    expect(fast).toHaveLength(2);
    expect([...(await store.resources(k)).keys()].sort()).toEqual(['File/a', 'File/b']);
    expect((await store.unfinishedJournal(k)).map((e) => e.resourceId)).toEqual(['File/slow']);
    slow.open();
    await slowStep;
    expect((await store.unfinishedJournal(k)).length).toBe(0);
  });

  it('an outcome that cannot be written fails its own step only; a failed call is recorded as failed', async () => {
    const k = { repo: 'r', stack: 'bad' };
    const run = await store.startRun(k, { kind: 'apply', trigger: 'test', commit: 'c1' });
    const j = journalWriter(store, run, k);
    const calls = gate();
    const results = Promise.allSettled([
      step(j, 'File/a', calls.wait),
      step(j, 'File/b', calls.wait, null), // no name: the resources row refuses it
      step(j, 'File/c', calls.wait),
      (async () => {
        const entry = await j.start('File/d', 'create', recorded('File/d'));
        await calls.wait;
        await j.failed(entry, 'permission denied');
      })(),
    ]);
    calls.open();
    expect((await results).map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect([...(await store.resources(k)).keys()].sort()).toEqual(['File/a', 'File/c']);
    // b's entry stays open, for crash recovery to look at the live object.
    expect((await store.unfinishedJournal(k)).map((e) => e.resourceId)).toEqual(['File/b']);
    expect((await store.journal(run)).find((e) => e.resourceId === 'File/d')).toEqual({
      resourceId: 'File/d',
      operation: 'create',
      outcome: 'failed',
      error: 'permission denied',
    });
    expect(await store.stackState(k)).toMatchObject({ serial: 2 });
  });
});
