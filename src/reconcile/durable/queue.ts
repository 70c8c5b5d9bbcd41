import type { Db } from '../../state/db.js';
import { parseJson, toIso } from '../../state/sql-values.js';

const isoOrNull = (v: unknown): string | null => toIso(v, true);

/** A job to queue. The queue is generic: kinds and payload types belong to reconcile/jobs/specs.ts. */
export interface JobSpec {
  kind: string;
  /** Jobs of one lane run one at a time, oldest first (a stack, a pull request, the branch). */
  lane: string;
  /** A second job with the same key is not queued (duplicate deliveries, webhook + poll). */
  dedupeKey?: string;
  /** Queued (not running) older jobs of the same lane and kind are marked superseded. */
  supersede?: boolean;
  payload: object;
}

export interface Job {
  id: number;
  repo: string;
  kind: string;
  lane: string;
  payload: unknown;
  attempts: number;
  status: string;
}

export interface JobRow extends Job {
  dedupeKey: string | null;
  error: string | null;
  result: unknown;
  createdAt: string;
  finishedAt: string | null;
}

/**
 * The durable job queue, in the state store. Claiming is one statement (`FOR UPDATE SKIP LOCKED`,
 * which PGlite understands too), a partial unique index keeps one running job per lane even when
 * several replicas race, and a lease that the holder renews lets another replica take over the
 * work of a dead one.
 */
export class JobQueue {
  constructor(
    readonly db: Db,
    readonly repo: string,
    readonly owner: string,
  ) {}

  /** Queue jobs (in the given transaction, if any). Returns the ids of those actually queued. */
  async enqueue(specs: JobSpec[], tx: Db = this.db): Promise<number[]> {
    const ids: number[] = [];
    for (const s of specs) {
      const r = await tx.query<{ id: string }>(
        `INSERT INTO jobs (repo, kind, lane, dedupe_key, payload) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`,
        [this.repo, s.kind, `${this.repo}:${s.lane}`, s.dedupeKey ? `${this.repo}:${s.dedupeKey}` : null, JSON.stringify(s.payload)],
      );
      if (!r.rows.length) continue;
      const id = Number(r.rows[0].id);
      ids.push(id);
      if (s.supersede) {
        await tx.query(
          `UPDATE jobs SET status = 'superseded', finished_at = now(), error = $4
           WHERE lane = $1 AND kind = $2 AND status = 'queued' AND id < $3`,
          [`${this.repo}:${s.lane}`, s.kind, id, `superseded by job ${id}`],
        );
      }
    }
    return ids;
  }

  /** Return jobs whose holder stopped renewing its lease to the queue (embedded: every running job). */
  async recover(all = false): Promise<number> {
    const r = await this.db.query<{ id: string }>(
      `UPDATE jobs SET status = 'queued', owner = NULL, lease_until = NULL
       WHERE status = 'running' AND ($1 OR lease_until < now()) RETURNING id`,
      [all],
    );
    return r.rows.length;
  }

  /** Take the oldest runnable job whose lane is free, or null. */
  async claim(leaseMs: number): Promise<Job | null> {
    await this.recover(false);
    try {
      const r = await this.db.query<Record<string, unknown>>(
        `UPDATE jobs SET status = 'running', owner = $1, attempts = attempts + 1, started_at = now(),
                lease_until = now() + ($2::double precision * interval '1 millisecond')
         WHERE id = (
           SELECT j.id FROM jobs j
           WHERE j.status = 'queued' AND j.run_after <= now()
             AND NOT EXISTS (SELECT 1 FROM jobs r WHERE r.lane = j.lane AND r.status = 'running')
             AND NOT EXISTS (SELECT 1 FROM jobs o WHERE o.lane = j.lane AND o.status = 'queued' AND o.id < j.id AND o.run_after <= now())
           ORDER BY j.id
           LIMIT 1
           FOR UPDATE SKIP LOCKED)
         AND status = 'queued'
         RETURNING id, repo, kind, lane, payload, attempts, status`,
        [this.owner, leaseMs],
      );
      const row = r.rows[0];
      return row ? toJob(row) : null;
    } catch (err) {
      // Another replica claimed a job of the same lane at the same moment (unique index): try later.
      if ((err as { code?: string }).code === '23505') return null;
      throw err;
    }
  }

  async renew(ids: number[], leaseMs: number): Promise<void> {
    if (!ids.length) return;
    await this.db.query(
      `UPDATE jobs SET lease_until = now() + ($2::double precision * interval '1 millisecond')
       WHERE id = ANY($1::bigint[]) AND status = 'running' AND owner = $3`,
      [ids, leaseMs, this.owner],
    );
  }

  async finish(id: number, status: 'done' | 'failed', result?: unknown, error?: string): Promise<void> {
    await this.db.query(`UPDATE jobs SET status = $2, finished_at = now(), lease_until = NULL, result = $3, error = $4 WHERE id = $1`, [
      id,
      status,
      result === undefined ? null : JSON.stringify(result),
      error ?? null,
    ]);
  }

  /** Put a job back for another attempt after `delayMs`. */
  async retry(id: number, delayMs: number, error: string): Promise<void> {
    await this.db.query(
      `UPDATE jobs SET status = 'queued', owner = NULL, lease_until = NULL, error = $3,
              run_after = now() + ($2::double precision * interval '1 millisecond') WHERE id = $1`,
      [id, delayMs, error],
    );
  }

  async list(filter: { status?: string; limit?: number } = {}): Promise<JobRow[]> {
    const params: unknown[] = [this.repo];
    let where = 'repo = $1';
    if (filter.status) where += ` AND status = $${params.push(filter.status)}`;
    const r = await this.db.query<Record<string, unknown>>(
      `SELECT * FROM jobs WHERE ${where} ORDER BY id DESC LIMIT ${Math.max(1, Math.min(filter.limit ?? 100, 1000))}`,
      params,
    );
    return r.rows.map((row) => ({
      ...toJob(row),
      dedupeKey: (row.dedupe_key as string) ?? null,
      error: (row.error as string) ?? null,
      result: parseJson(row.result),
      createdAt: toIso(row.created_at),
      finishedAt: isoOrNull(row.finished_at),
    }));
  }

  /** Jobs not finished yet (queued or running). */
  async pending(): Promise<number> {
    const r = await this.db.query<{ n: string }>(`SELECT count(*) AS n FROM jobs WHERE repo = $1 AND status IN ('queued', 'running')`, [this.repo]);
    return Number(r.rows[0].n);
  }
}

function toJob(row: Record<string, unknown>): Job {
  return {
    id: Number(row.id),
    repo: row.repo as string,
    kind: row.kind as string,
    lane: row.lane as string,
    payload: parseJson(row.payload),
    attempts: Number(row.attempts),
    status: row.status as string,
  };
}
