import type { Db } from '../../state/db.js';
import { parseJson, toIso } from '../../state/sql-values.js';
import { deliveryRank, inDeliveryOrder } from './delivery-order.js';

/** A write to the forge or the audit trail, as plain data. Delivered (and retried) by the outbox worker. */
export type OutboxOp =
  | { type: 'comment.upsert'; issue: number; marker: string; bodies: string[]; onlyIfExists?: boolean }
  | { type: 'commit-comment.upsert'; sha: string; marker: string; bodies: string[] }
  | { type: 'status'; sha: string; context: string; state: 'pending' | 'success' | 'failure' | 'error'; description: string }
  | {
      type: 'check-run';
      sha: string;
      name: string;
      conclusion: 'success' | 'failure' | 'neutral';
      title: string;
      summary: string;
      annotations: { path: string; line: number; message: string }[];
    }
  | { type: 'deployment'; sha: string; environment: string; state: 'success' | 'failure' | 'error'; description: string }
  | { type: 'drift-issue'; stack: string; open: boolean; title: string; body: string }
  | { type: 'git-note'; commit: string; text: string; marker: string };

export interface OutboxItem {
  id: number;
  op: OutboxOp;
  progress: Record<string, unknown> | null;
  attempts: number;
}

export interface OutboxRow extends OutboxItem {
  status: string;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

export interface OutboxEntry {
  op: OutboxOp;
  /** Newer entries with the same key replace older undelivered ones (a status, the plan comment). */
  coalesceKey?: string;
  /** An entry with the same key is never queued twice (a result comment for one run). */
  dedupeKey?: string;
}

/**
 * The durable outbox: comments, statuses, check runs, deployments, drift issues and git notes are
 * written here by the job that decides them and delivered by a worker that retries until the
 * forge (or the git remote) takes them. A GitHub outage therefore never blocks or repeats an apply.
 * The entries of one `add` are a batch, delivered in the order of delivery-order.ts (the comment,
 * then the status, then the check run); batches go oldest first, and two writes with the same
 * coalescing key (a status context, a comment) never overtake each other.
 */
export class Outbox {
  constructor(
    readonly db: Db,
    readonly repo: string,
    readonly owner: string,
  ) {}

  async add(entries: OutboxEntry[], tx: Db = this.db): Promise<number> {
    let n = 0;
    let batch: string | null = null;
    for (const e of inDeliveryOrder(entries)) {
      const coalesce = e.coalesceKey ? `${this.repo}:${e.coalesceKey}` : null;
      const dedupe = e.dedupeKey ? `${this.repo}:${e.dedupeKey}` : null;
      const params: unknown[] = [this.repo, e.op.type, coalesce, dedupe, JSON.stringify(e.op), batch, deliveryRank(e.op)];
      // The first entry written opens the batch; the others join it.
      const r = await tx.query<{ id: string; batch: string }>(
        `INSERT INTO outbox (repo, kind, coalesce_key, dedupe_key, op, batch, rank)
         VALUES ($1, $2, $3, $4, $5, COALESCE($6::bigint, nextval('outbox_batch_seq')), $7)
         ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, batch`,
        params,
      );
      if (!r.rows.length) continue;
      batch = String(r.rows[0].batch);
      n++;
      if (coalesce) {
        await tx.query(`UPDATE outbox SET status = 'replaced' WHERE coalesce_key = $1 AND status = 'pending' AND id < $2`, [coalesce, Number(r.rows[0].id)]);
      }
    }
    return n;
  }

  /** Return entries a dead sender left `sending` (all of them: this process owns the embedded store). */
  async recover(all: boolean): Promise<void> {
    await this.db.query(`UPDATE outbox SET status = 'pending', owner = NULL WHERE status = 'sending' AND ($1 OR lease_until < now())`, [all]);
  }

  /**
   * Take the oldest entry that is due, whose key is not being sent by anyone and whose batch has
   * nothing of a lower rank still to deliver; or null.
   */
  async claim(leaseMs: number): Promise<OutboxItem | null> {
    await this.db.query(`UPDATE outbox SET status = 'pending', owner = NULL WHERE status = 'sending' AND lease_until < now()`);
    try {
      const r = await this.db.query<Record<string, unknown>>(
        `UPDATE outbox SET status = 'sending', owner = $1, attempts = attempts + 1,
                lease_until = now() + ($2::double precision * interval '1 millisecond')
         WHERE id = (
           SELECT o.id FROM outbox o
           WHERE o.status = 'pending' AND o.next_at <= now() AND o.repo = $3
             AND (o.coalesce_key IS NULL OR NOT EXISTS (SELECT 1 FROM outbox s WHERE s.coalesce_key = o.coalesce_key AND s.status = 'sending'))
             AND (o.rank IS NULL OR NOT EXISTS (
               SELECT 1 FROM outbox b WHERE b.batch = o.batch AND b.rank < o.rank AND b.status IN ('pending', 'sending')))
           ORDER BY o.id LIMIT 1 FOR UPDATE SKIP LOCKED)
         AND status = 'pending'
         RETURNING id, op, progress, attempts`,
        [this.owner, leaseMs, this.repo],
      );
      const row = r.rows[0];
      return row
        ? {
            id: Number(row.id),
            op: parseJson(row.op) as OutboxOp,
            progress: parseJson(row.progress) as Record<string, unknown> | null,
            attempts: Number(row.attempts),
          }
        : null;
    } catch (err) {
      if ((err as { code?: string }).code === '23505') return null;
      throw err;
    }
  }

  /** Remember how far a multi-step delivery got (a deployment created, its status not yet set). */
  async saveProgress(id: number, progress: Record<string, unknown>): Promise<void> {
    await this.db.query('UPDATE outbox SET progress = $2 WHERE id = $1', [id, JSON.stringify(progress)]);
  }

  async delivered(id: number): Promise<void> {
    await this.db.query(`UPDATE outbox SET status = 'delivered', delivered_at = now(), lease_until = NULL, last_error = NULL WHERE id = $1`, [id]);
  }

  async failed(id: number, error: string, retryInMs: number | null): Promise<void> {
    if (retryInMs === null) {
      await this.db.query(`UPDATE outbox SET status = 'failed', lease_until = NULL, last_error = $2 WHERE id = $1`, [id, error]);
    } else {
      await this.db.query(
        `UPDATE outbox SET status = 'pending', owner = NULL, lease_until = NULL, last_error = $2,
                next_at = now() + ($3::double precision * interval '1 millisecond') WHERE id = $1`,
        [id, error, retryInMs],
      );
    }
  }

  /** Entries not delivered yet. */
  async pending(): Promise<number> {
    const r = await this.db.query<{ n: string }>(`SELECT count(*) AS n FROM outbox WHERE repo = $1 AND status IN ('pending', 'sending')`, [this.repo]);
    return Number(r.rows[0].n);
  }

  async list(limit = 100): Promise<OutboxRow[]> {
    const r = await this.db.query<Record<string, unknown>>(
      `SELECT * FROM outbox WHERE repo = $1 ORDER BY id DESC LIMIT ${Math.max(1, Math.min(limit, 1000))}`,
      [this.repo],
    );
    return r.rows.map((row) => ({
      id: Number(row.id),
      op: parseJson(row.op) as OutboxOp,
      progress: parseJson(row.progress) as Record<string, unknown> | null,
      attempts: Number(row.attempts),
      status: row.status as string,
      lastError: (row.last_error as string) ?? null,
      createdAt: toIso(row.created_at),
      deliveredAt: toIso(row.delivered_at, true),
    }));
  }
}
