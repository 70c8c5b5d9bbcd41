import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import { openPostgres, type Db } from '../../src/state/db.js';
import { migrate } from '../../src/state/migrate.js';
import { migrations } from '../../src/state/migrations/index.js';
import { durableMigrations } from '../../src/reconcile/durable/migration.js';
import { Outbox, type OutboxEntry, type OutboxItem } from '../../src/reconcile/durable/outbox.js';
import { deliveryRank, inDeliveryOrder } from '../../src/reconcile/durable/delivery-order.js';
import { planEntries, refusedEntries, statusEntry } from '../../src/reconcile/report.js';
import type { PlanReport } from '../../src/forge/messages.js';

const report = (headSha: string): PlanReport => ({
  pr: 7,
  commit: `m-${headSha}`,
  headSha,
  at: 'merge',
  repoDiagnostics: [{ file: 'stacks/web/a.yaml', line: 3, col: 1, message: 'bad' }],
  stacks: [],
  notices: [],
});
const note = (commit: string): OutboxEntry => ({ op: { type: 'git-note', commit, text: 'n', marker: 'm' }, dedupeKey: `note:${commit}` });
const kind = (i: OutboxItem | null): string | null => (i ? `${i.op.type}${i.op.type === 'status' ? `:${i.op.state}` : ''}` : null);

describe('the order of delivery', () => {
  it('ranks what people read first, then the status, the check run, the deployment; notes stand apart', () => {
    const deployment: OutboxEntry = { op: { type: 'deployment', sha: 'c1', environment: 'web', state: 'success', description: 'ok' } };
    const entries = [note('c1'), deployment, ...refusedEntries('web', 'c1', null, 'invalid')];
    expect(entries.map((e) => e.op.type)).toEqual(['git-note', 'deployment', 'status', 'commit-comment.upsert']);
    expect(inDeliveryOrder(entries).map((e) => e.op.type)).toEqual(['commit-comment.upsert', 'status', 'deployment', 'git-note']);
    expect(inDeliveryOrder(planEntries(report('h1'))).map((e) => e.op.type)).toEqual(['comment.upsert', 'status', 'check-run']);
    expect(deliveryRank(note('c').op)).toBeNull();
  });
});

describe('the outbox delivers a batch in order (PostgreSQL)', () => {
  let db: Db;
  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: inject('pgUrl') });
    await admin.connect();
    const name = `driftless_outbox_order_${process.pid}_${Date.now()}`;
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

  it('a plan: the comment first; the status only once it is delivered; the check run after the status', async () => {
    const o = new Outbox(db, 'r1', 'me');
    await o.add([statusEntry('h1', 'driftless/plan', 'pending', 'Planning…')]);
    const pending = await o.claim(60_000);
    expect(kind(pending)).toBe('status:pending');
    // The plan is ready while the pending status is still being sent: its own batch waits for nothing of the earlier one.
    await o.add(planEntries(report('h1')));
    const comment = await o.claim(60_000);
    expect(kind(comment)).toBe('comment.upsert');
    // Its status waits for the comment (and for the pending status of the same context, still sending).
    expect(await o.claim(60_000)).toBeNull();
    await o.delivered(pending!.id);
    expect(await o.claim(60_000)).toBeNull();
    await o.delivered(comment!.id);
    const status = await o.claim(60_000);
    expect(kind(status)).toBe('status:failure');
    expect(await o.claim(60_000)).toBeNull();
    await o.delivered(status!.id);
    expect(kind(await o.claim(60_000))).toBe('check-run');
  });

  it('a comment given up for good no longer holds its batch; other batches and notes never wait for it', async () => {
    const o = new Outbox(db, 'r2', 'me');
    await o.add([...planEntries(report('h2')), note('h2')]);
    const comment = await o.claim(60_000);
    expect(kind(comment)).toBe('comment.upsert');
    expect(kind(await o.claim(60_000))).toBe('git-note');
    await o.add([statusEntry('other', 'driftless/apply', 'success', 'ok')]);
    expect(kind(await o.claim(60_000))).toBe('status:success');
    expect(await o.claim(60_000)).toBeNull();
    await o.failed(comment!.id, 'HTTP 422', null);
    expect(kind(await o.claim(60_000))).toBe('status:failure');
  });

  it('a newer batch replaces the undelivered entries of an older one, and the older one no longer holds anything', async () => {
    const o = new Outbox(db, 'r3', 'me');
    await o.add(planEntries(report('h3')));
    await o.add(planEntries({ ...report('h3'), commit: 'm-h3-again' }));
    // The first batch's comment and status were replaced: its check run (another key) waits for nothing, and is older.
    expect(kind(await o.claim(60_000))).toBe('check-run');
    const comment = await o.claim(60_000);
    expect(kind(comment)).toBe('comment.upsert');
    expect(await o.claim(60_000)).toBeNull();
    await o.delivered(comment!.id);
    expect(kind(await o.claim(60_000))).toBe('status:failure');
    const statuses = (await o.list()).filter((e) => e.op.type === 'status').map((e) => e.status);
    expect(statuses.sort()).toEqual(['replaced', 'sending']);
  });
});
