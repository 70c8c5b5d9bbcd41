import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import { openState } from '../../src/state/open.js';
import type { StateStore } from '../../src/state/store.js';
import { tempDir } from '../helpers/git.js';

const rec = (id: string, spec: Record<string, unknown> = {}) => ({
  id, apiVersion: 'fs.driftless.dev/v1', kind: id.split('/')[0], name: id.split('/')[1], spec: spec as never, outputs: {}, deps: [], protect: false,
});

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
      expect(await store.putResource(k, rec('File/a', { path: 'a' }))).toBe(1);
      expect(await store.putResource(k, rec('File/b', { path: 'b' }))).toBe(2);
      expect(await store.putResource({ repo: 'r2', stack: 'web' }, rec('File/a'))).toBe(1);
      expect(await store.deleteResource(k, 'File/b')).toBe(3);
      await store.setAppliedCommit(k, 'abc');
      expect(await store.stackState(k)).toEqual({ serial: 3, appliedCommit: 'abc' });
      const rs = await store.resources(k);
      expect([...rs.keys()]).toEqual(['File/a']);
      expect(rs.get('File/a')!.spec).toEqual({ path: 'a' });
    });

    it('keeps runs and the journal, and lists unfinished entries', async () => {
      const k = { repo: 'r1', stack: 'j' };
      const run = await store.startRun(k, { kind: 'apply', trigger: 'test', commit: 'c1', actor: 'me', pr: 7, digest: 'sha256:x' });
      const e1 = await store.journalStart(run, k, 'File/a', 'create', rec('File/a'));
      const e2 = await store.journalStart(run, k, 'File/b', 'create', rec('File/b'));
      await store.journalFinish(e1, 'ok');
      expect((await store.unfinishedJournal(k)).map((e) => e.id)).toEqual([e2]);
      await store.finishRun(run, 'partial', { create: 2, update: 0, replace: 0, delete: 0, noop: 0 }, [{ id: 'File/a', action: 'create', outcome: 'ok' }]);
      const [r] = await store.runs({ repo: 'r1', stack: 'j' });
      expect(r).toMatchObject({ id: run, kind: 'apply', trigger: 'test', commit: 'c1', actor: 'me', pr: 7, outcome: 'partial', summary: { create: 2 } });
      expect(r.finishedAt).not.toBeNull();
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
