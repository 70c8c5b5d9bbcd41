import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import { openState } from '../../src/state/open.js';
import type { StateStore } from '../../src/state/store.js';
import { tempDir } from '../helpers/git.js';
import { recorded } from '../helpers/records.js';

async function pgDatabase(): Promise<string> {
  const admin = new pg.Client({ connectionString: inject('pgUrl') });
  await admin.connect();
  const name = `driftless_state_${Math.random().toString(36).slice(2, 10)}`;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(inject('pgUrl'));
  u.pathname = `/${name}`;
  return u.toString();
}

for (const backend of ['embedded', 'postgres'] as const) {
  describe(`state store (${backend}): one SQL schema on both`, () => {
    let store: StateStore;
    let url: string | undefined;
    beforeAll(async () => {
      url = backend === 'postgres' ? await pgDatabase() : undefined;
      store = await openState({ dataDir: tempDir(), url, command: 'test' });
    });
    afterAll(async () => store.close());

    it('records resources per repository and stack, bumping the serial on every write', async () => {
      const k = { repo: 'r1', stack: 'web' };
      expect(await store.stackState(k)).toEqual({ serial: 0, appliedCommit: null });
      expect(await store.putResource(k, recorded('File/a', { path: 'a' }))).toBe(1);
      expect(await store.putResource(k, recorded('File/b', { path: 'b' }))).toBe(2);
      expect(await store.putResource({ repo: 'r2', stack: 'web' }, recorded('File/a'))).toBe(1);
      expect(await store.deleteResource(k, 'File/b')).toBe(3);
      await store.setAppliedCommit(k, 'abc');
      expect(await store.stackState(k)).toEqual({ serial: 3, appliedCommit: 'abc' });
      const rs = await store.resources(k);
      expect([...rs.keys()]).toEqual(['File/a']);
      expect(rs.get('File/a')!.spec).toEqual({ path: 'a' });
    });

    it('reads a stack larger than one page whole, in id order, handing each row to `each`', async () => {
      const k = { repo: 'r1', stack: 'big' };
      // 2,345 rows (three pages), with ids whose order is not their insertion order.
      await store.db.exec(`INSERT INTO resources (repo, stack, id, api_version, kind, name, spec, outputs, deps, protect)
        SELECT 'r1', 'big', 'File/f' || lpad(((g * 7919) % 2345)::text, 5, '0'), 'fs.driftless.dev/v1', 'File',
               'f' || g, jsonb_build_object('n', g), '{}'::jsonb, '[]'::jsonb, false
        FROM generate_series(0, 2344) AS g`);
      await store.putResource(k, recorded("File/it's ünïcode", { path: 'u' }));
      const seen: string[] = [];
      const rs = await store.resources(k, (r) => {
        seen.push(r.id);
        return { ...r, protect: true };
      });
      expect(rs.size).toBe(2346);
      expect(seen).toEqual([...rs.keys()]);
      const expected = Array.from({ length: 2345 }, (_, i) => `File/f${String(i).padStart(5, '0')}`);
      expect(seen.slice(0, 2345)).toEqual(expected);
      expect(seen[2345]).toBe("File/it's ünïcode");
      // Each row kept its own spec: f{(n * 7919) mod 2345} holds n.
      for (const r of [...rs.values()].slice(0, 2345)) expect(r.id).toBe(`File/f${String(((r.spec as { n: number }).n * 7919) % 2345).padStart(5, '0')}`);
      expect([...rs.values()].every((r) => r.protect)).toBe(true);
    });

    it("keeps a run's plan compressed, reads it back whole, and still reads a plan kept as jsonb before", async () => {
      const k = { repo: 'r1', stack: 'plans' };
      const run = await store.startRun(k, { kind: 'apply', trigger: 'test', commit: 'c1' });
      expect(await store.runPlan(run)).toBeNull();
      const plan = {
        stack: 'plans',
        changes: Array.from({ length: 500 }, (_, i) => ({ id: `File/f${i}`, action: 'create', after: `ünïcode ${i}\n`.repeat(20) })),
      };
      await store.setRunPlan(run, plan);
      expect(await store.runPlan(run)).toEqual(plan);
      const [row] = (await store.db.query<{ plan: unknown; gz: number }>('SELECT plan, length(plan_gz) AS gz FROM runs WHERE id = $1', [run])).rows;
      expect(row.plan).toBeNull();
      expect(Number(row.gz)).toBeLessThan(JSON.stringify(plan).length / 10);
      // The run's record leaves the plan out.
      expect(Object.keys((await store.runs({ id: run }))[0])).not.toContain('plan');
      // A run kept before plans were compressed.
      const old = await store.startRun(k, { kind: 'apply', trigger: 'test', commit: 'c0' });
      await store.db.query('UPDATE runs SET plan = $2 WHERE id = $1', [old, JSON.stringify({ stack: 'plans', changes: [] })]);
      expect(await store.runPlan(old)).toEqual({ stack: 'plans', changes: [] });
      expect(await store.runPlan(999_999)).toBeNull();
    });

    it('keeps runs and the journal, and lists unfinished entries', async () => {
      const k = { repo: 'r1', stack: 'j' };
      const run = await store.startRun(k, { kind: 'apply', trigger: 'test', commit: 'c1', actor: 'me', pr: 7, digest: 'sha256:x' });
      const e1 = await store.journalStart(run, k, 'File/a', 'create', recorded('File/a'));
      const e2 = await store.journalStart(run, k, 'File/b', 'create', recorded('File/b'));
      await store.journalFinish(e1, 'ok');
      expect((await store.unfinishedJournal(k)).map((e) => e.id)).toEqual([e2]);
      await store.finishRun(run, 'partial', { create: 2, update: 0, replace: 0, delete: 0, noop: 0 }, [{ id: 'File/a', action: 'create', outcome: 'ok' }]);
      const [r] = await store.runs({ repo: 'r1', stack: 'j' });
      expect(r).toMatchObject({ id: run, kind: 'apply', trigger: 'test', commit: 'c1', actor: 'me', pr: 7, outcome: 'partial', summary: { create: 2 } });
      expect(r.finishedAt).not.toBeNull();
    });

    it('finishes a journal entry together with the state change of its call, or not at all', async () => {
      const k = { repo: 'r1', stack: 'done' };
      const run = await store.startRun(k, { kind: 'apply', trigger: 'test', commit: 'c1' });
      const e1 = await store.journalStart(run, k, 'File/a', 'create', recorded('File/a'));
      expect(await store.journalDone(e1, k, { put: recorded('File/a', { path: 'a' }) })).toBe(1);
      expect([...(await store.resources(k)).keys()]).toEqual(['File/a']);
      const e2 = await store.journalStart(run, k, 'File/a', 'delete', recorded('File/a'));
      expect(await store.journalDone(e2, k, { forget: 'File/a' })).toBe(2);
      expect((await store.resources(k)).size).toBe(0);
      // A record that cannot be written (no name): the entry stays unfinished, for crash recovery.
      const e3 = await store.journalStart(run, k, 'File/b', 'create', recorded('File/b'));
      await expect(store.journalDone(e3, k, { put: { ...recorded('File/b'), name: null as never } })).rejects.toThrow();
      expect((await store.unfinishedJournal(k)).map((e) => e.id)).toEqual([e3]);
      expect(await store.journal(run)).toEqual([
        { resourceId: 'File/a', operation: 'create', outcome: 'ok', error: null },
        { resourceId: 'File/a', operation: 'delete', outcome: 'ok', error: null },
        { resourceId: 'File/b', operation: 'create', outcome: null, error: null },
      ]);
      expect(await store.stackState(k)).toMatchObject({ serial: 2 });
    });

    it('writes the journal of several calls in one statement each: entries in order, then outcomes, puts and removals together', async () => {
      const k = { repo: 'r1', stack: 'many' };
      const run = await store.startRun(k, { kind: 'apply', trigger: 'test', commit: 'c1' });
      const [a, b] = await store.journalStartMany(run, k, [
        { resourceId: 'File/a', operation: 'create', resource: recorded('File/a') },
        { resourceId: 'File/b', operation: 'create', resource: recorded('File/b') },
      ]);
      expect(b).toBeGreaterThan(a);
      expect(
        await store.journalDoneMany(k, [
          { id: a, effect: { put: recorded('File/a', { path: 'a' }) } },
          { id: b, effect: { put: recorded('File/b') } },
        ]),
      ).toBe(2);
      const [d, c] = await store.journalStartMany(run, k, [
        { resourceId: 'File/a', operation: 'delete', resource: recorded('File/a') },
        { resourceId: 'File/c', operation: 'create', resource: recorded('File/c') },
      ]);
      expect(
        await store.journalDoneMany(k, [
          { id: d, effect: { forget: 'File/a' } },
          { id: c, effect: { put: recorded('File/c') } },
        ]),
      ).toBe(4);
      expect([...(await store.resources(k)).keys()].sort()).toEqual(['File/b', 'File/c']);
      expect((await store.journal(run)).map((e) => [e.resourceId, e.operation, e.outcome])).toEqual([
        ['File/a', 'create', 'ok'],
        ['File/b', 'create', 'ok'],
        ['File/a', 'delete', 'ok'],
        ['File/c', 'create', 'ok'],
      ]);
      // All or nothing: one record that cannot be written keeps every entry of the batch open.
      const [e, f] = await store.journalStartMany(run, k, [
        { resourceId: 'File/e', operation: 'create', resource: recorded('File/e') },
        { resourceId: 'File/f', operation: 'create', resource: recorded('File/f') },
      ]);
      await expect(
        store.journalDoneMany(k, [
          { id: e, effect: { put: recorded('File/e') } },
          { id: f, effect: { put: { ...recorded('File/f'), name: null as never } } },
        ]),
      ).rejects.toThrow();
      expect((await store.unfinishedJournal(k)).map((x) => x.resourceId)).toEqual(['File/e', 'File/f']);
      expect(await store.stackState(k)).toMatchObject({ serial: 4 });
    });

    it('allows one apply per stack at a time and names the holder', async () => {
      const k = { repo: 'r1', stack: 'locked' };
      const lock = await store.lockStack(k, 'holder-one');
      await expect(store.lockStack(k, 'holder-two')).rejects.toThrow(/stack locked is locked by holder-one since/);
      const other = await store.lockStack({ repo: 'r1', stack: 'other' }, 'holder-two');
      await other.release();
      await lock.release();
      const again = await store.lockStack(k, 'holder-two');
      await again.release();
    });

    if (backend === 'embedded') {
      it('runs the embedded server with a small buffer pool (it is resident for the whole process)', async () => {
        const r = await store.db.query<{ shared_buffers: string }>('SHOW shared_buffers');
        expect(r.rows[0].shared_buffers).toBe('4MB');
      });
    }

    if (backend === 'postgres') {
      it('a lock dies with its holder session (another replica can take it)', async () => {
        const k = { repo: 'r1', stack: 'replica' };
        const replica = await openState({ dataDir: tempDir(), url, command: 'replica' });
        const lock = await replica.lockStack(k, 'replica-a');
        await expect(store.lockStack(k, 'replica-b')).rejects.toThrow(/locked by replica-a/);
        // The replica dies: its session ends without releasing anything.
        const admin = new pg.Client({ connectionString: url });
        await admin.connect();
        await admin.query(`SELECT pg_terminate_backend(pid, 5000) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()`);
        await admin.end();
        void lock;
        await replica.close();
        const taken = await store.lockStack(k, 'replica-b');
        await taken.release();
      });
    }
  });
}
