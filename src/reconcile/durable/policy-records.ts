import type { Db } from '../../state/db.js';
import type { Migration } from '../../state/migrations/index.js';
import { parseJson } from '../../state/sql-values.js';

/**
 * Policy results and overrides in the state store. An override names the plan digest it was given
 * for: a new push makes a new plan, and the override no longer counts.
 */

/** Migration 10: policy results per pull request and stack, and overrides (who, when, why, which plan). */
export const policyMigration: Migration = {
  version: 10,
  name: 'policy results and overrides',
  sql: `
CREATE TABLE policy_results (
  repo text NOT NULL,
  pr integer NOT NULL,
  stack text NOT NULL,
  commit text NOT NULL,
  digest text NOT NULL,
  report jsonb NOT NULL,
  judged_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (repo, pr, stack)
);
CREATE TABLE policy_overrides (
  id bigserial PRIMARY KEY,
  repo text NOT NULL,
  pr integer,
  stack text NOT NULL,
  policy text NOT NULL,
  digest text NOT NULL,
  by_user text NOT NULL,
  reason text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX policy_overrides_digest ON policy_overrides (repo, stack, digest);
CREATE TABLE policy_runs (
  repo text NOT NULL,
  run_id bigint NOT NULL,
  stack text NOT NULL,
  commit text NOT NULL,
  digest text NOT NULL,
  report jsonb NOT NULL,
  PRIMARY KEY (repo, run_id)
);
`,
};

export interface StoredOverride {
  id: number;
  pr: number | null;
  stack: string;
  policy: string;
  digest: string;
  by: string;
  reason: string;
  at: string;
}

export class PolicyRecords {
  constructor(
    readonly db: Db,
    readonly repo: string,
  ) {}

  async setResults(pr: number, rows: { stack: string; commit: string; digest: string; report: unknown }[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query('DELETE FROM policy_results WHERE repo = $1 AND pr = $2', [this.repo, pr]);
      for (const r of rows) {
        await tx.query('INSERT INTO policy_results (repo, pr, stack, commit, digest, report) VALUES ($1, $2, $3, $4, $5, $6)', [
          this.repo,
          pr,
          r.stack,
          r.commit,
          r.digest,
          JSON.stringify(r.report),
        ]);
      }
    });
  }

  async results(pr: number): Promise<{ stack: string; commit: string; digest: string; report: unknown; judgedAt: string }[]> {
    const r = await this.db.query<Record<string, unknown>>('SELECT * FROM policy_results WHERE repo = $1 AND pr = $2 ORDER BY stack', [this.repo, pr]);
    return r.rows.map((x) => ({
      stack: x.stack as string,
      commit: x.commit as string,
      digest: x.digest as string,
      report: parseJson(x.report),
      judgedAt: new Date(x.judged_at as string).toISOString(),
    }));
  }

  /** The policy judgement an apply ran under (results, overrides used). */
  async setRunResult(runId: number, r: { stack: string; commit: string; digest: string; report: unknown }): Promise<void> {
    await this.db.query(
      'INSERT INTO policy_runs (repo, run_id, stack, commit, digest, report) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (repo, run_id) DO UPDATE SET report = EXCLUDED.report',
      [this.repo, runId, r.stack, r.commit, r.digest, JSON.stringify(r.report)],
    );
  }

  async runResult(runId: number): Promise<{ stack: string; commit: string; digest: string; report: unknown } | null> {
    const r = await this.db.query<Record<string, unknown>>('SELECT * FROM policy_runs WHERE repo = $1 AND run_id = $2', [this.repo, runId]);
    const x = r.rows[0];
    return x ? { stack: x.stack as string, commit: x.commit as string, digest: x.digest as string, report: parseJson(x.report) } : null;
  }

  async addOverride(o: Omit<StoredOverride, 'id' | 'at'>): Promise<StoredOverride> {
    const r = await this.db.query<Record<string, unknown>>(
      'INSERT INTO policy_overrides (repo, pr, stack, policy, digest, by_user, reason) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id, created_at',
      [this.repo, o.pr, o.stack, o.policy, o.digest, o.by, o.reason],
    );
    return { ...o, id: Number(r.rows[0].id), at: new Date(r.rows[0].created_at as string).toISOString() };
  }

  /** Overrides of a stack, newest first; with `digest`, only those given for that plan. */
  async overrides(o: { stack?: string; digest?: string; pr?: number } = {}): Promise<StoredOverride[]> {
    const where = ['repo = $1'];
    const args: unknown[] = [this.repo];
    if (o.stack) where.push(`stack = $${args.push(o.stack)}`);
    if (o.digest) where.push(`digest = $${args.push(o.digest)}`);
    if (o.pr !== undefined) where.push(`pr = $${args.push(o.pr)}`);
    const r = await this.db.query<Record<string, unknown>>(`SELECT * FROM policy_overrides WHERE ${where.join(' AND ')} ORDER BY id DESC`, args);
    return r.rows.map((x) => ({
      id: Number(x.id),
      pr: x.pr === null ? null : Number(x.pr),
      stack: x.stack as string,
      policy: x.policy as string,
      digest: x.digest as string,
      by: x.by_user as string,
      reason: x.reason as string,
      at: new Date(x.created_at as string).toISOString(),
    }));
  }
}
