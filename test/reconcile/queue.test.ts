import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import { openPostgres, type Db } from '../../src/state/db.js';
import { migrate } from '../../src/state/migrate.js';
import { migrations } from '../../src/state/migrations/index.js';
import { durableMigrations } from '../../src/reconcile/durable/migration.js';
import { JobQueue } from '../../src/reconcile/durable/queue.js';
import { Outbox } from '../../src/reconcile/durable/outbox.js';

describe('the job queue and the outbox (PostgreSQL)', () => {
  let db: Db;
  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: inject('pgUrl') });
    await admin.connect();
    const name = `driftless_queue_${process.pid}_${Date.now()}`;
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const u = new URL(inject('pgUrl'));
    u.pathname = `/${name}`;
    db = await openPostgres(u.toString());
    await migrate(db, [...migrations, ...durableMigrations]);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('runs one job per lane at a time, oldest first, other lanes in parallel', async () => {
    const q = new JobQueue(db, 'r1', 'me');
    await q.enqueue([
      { kind: 'pr-plan', lane: 'pr:1', payload: { n: 1 } },
      { kind: 'pr-plan', lane: 'pr:1', payload: { n: 2 } },
      { kind: 'pr-plan', lane: 'pr:2', payload: { n: 3 } },
    ]);
    const a = await q.claim(60_000);
    const b = await q.claim(60_000);
    expect(a?.payload).toEqual({ n: 1 });
    expect(b?.payload).toEqual({ n: 3 });
    expect(await q.claim(60_000)).toBeNull(); // pr:1 is busy
    await q.finish(a!.id, 'done');
    expect((await q.claim(60_000))?.payload).toEqual({ n: 2 });
  });

  it('supersedes older queued jobs of a lane and de-duplicates by key', async () => {
    const q = new JobQueue(db, 'r2', 'me');
    const ids = [
      ...(await q.enqueue([{ kind: 'apply', lane: 'stack:web', dedupeKey: 'apply:web:c1', supersede: true, payload: { c: 1 } }])),
      ...(await q.enqueue([{ kind: 'apply', lane: 'stack:web', dedupeKey: 'apply:web:c2', supersede: true, payload: { c: 2 } }])),
      ...(await q.enqueue([{ kind: 'apply', lane: 'stack:web', dedupeKey: 'apply:web:c3', supersede: true, payload: { c: 3 } }])),
      ...(await q.enqueue([{ kind: 'apply', lane: 'stack:web', dedupeKey: 'apply:web:c3', supersede: true, payload: { c: 3 } }])),
    ];
    expect(ids).toHaveLength(3);
    const jobs = await q.list();
    expect(jobs.map((j) => [(j.payload as { c: unknown }).c, j.status])).toEqual([
      [3, 'queued'],
      [2, 'superseded'],
      [1, 'superseded'],
    ]);
    expect((await q.claim(60_000))?.payload).toEqual({ c: 3 });
  });

  it('gives a job whose holder stopped renewing its lease to another worker; concurrent claims never share a lane', async () => {
    const q1 = new JobQueue(db, 'r3', 'replica-1');
    const q2 = new JobQueue(db, 'r3', 'replica-2');
    await q1.enqueue([{ kind: 'drift', lane: 'stack:x', payload: {} }]);
    const j = await q1.claim(1);
    expect(j).not.toBeNull();
    await new Promise((r) => setTimeout(r, 20));
    const again = await q2.claim(60_000);
    expect(again?.id).toBe(j!.id);
    expect(again?.attempts).toBe(2);
    await q2.finish(again!.id, 'done');
    await q1.enqueue(Array.from({ length: 6 }, (_, i) => ({ kind: 'drift' as const, lane: `stack:l${i % 2}`, payload: { i } })));
    const claims = (await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? q1 : q2).claim(60_000)))).filter(Boolean);
    expect(claims.map((c) => c!.lane).sort()).toEqual(['r3:stack:l0', 'r3:stack:l1']);
  });

  it('outbox: newer entries replace undelivered ones with the same key; failures are retried later', async () => {
    const o = new Outbox(db, 'r4', 'me');
    const st = (state: 'pending' | 'success') => ({
      op: { type: 'status' as const, sha: 's', context: 'c', state, description: state },
      coalesceKey: 'status:s:c',
    });
    await o.add([st('pending')]);
    await o.add([st('success')]);
    const item = await o.claim(60_000);
    expect(item?.op).toMatchObject({ state: 'success' });
    expect(await o.claim(60_000)).toBeNull();
    await o.failed(item!.id, 'HTTP 502', 10);
    await new Promise((r) => setTimeout(r, 30));
    const retry = await o.claim(60_000);
    expect(retry?.id).toBe(item!.id);
    expect(retry?.attempts).toBe(2);
    await o.delivered(retry!.id);
    expect(await o.pending()).toBe(0);
    expect((await o.list()).map((e) => e.status).sort()).toEqual(['delivered', 'replaced']);
  });
});
