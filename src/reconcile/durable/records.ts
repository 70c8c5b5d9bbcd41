import type { Db } from '../../state/db.js';
import { parseJson } from '../../state/sql-values.js';

export interface Hold {
  stack: string;
  commit: string;
  pr: number | null;
  digest: string;
  reason: string;
}

/** A rollback pull request: while `state` is open, its stack is quarantined. */
export interface Rollback {
  pr: number;
  stack: string;
  branch: string;
  commit: string;
  target: string;
  undoes: { sha: string; subject: string }[];
  state: 'open' | 'merged' | 'closed';
  requestedBy: string | null;
}

function rollbackRow(x: Record<string, unknown>): Rollback {
  return {
    pr: Number(x.pr),
    stack: x.stack as string,
    branch: x.branch as string,
    commit: x.commit as string,
    target: x.target as string,
    undoes: (parseJson(x.undoes) as Rollback['undoes'] | null) ?? [],
    state: x.state as Rollback['state'],
    requestedBy: (x.requested_by as string | null) ?? null,
  };
}

/**
 * The service's memory of reviews and decisions, in the state store: which deliveries were seen,
 * the plan digest last posted on each pull request per stack (the reviewed plan), applies held
 * for a command, merge commits of pull requests, and the open drift issue of each stack.
 */
export class ServiceRecords {
  constructor(
    readonly db: Db,
    readonly repo: string,
  ) {}

  /** Record a delivery id; false when it was seen before. */
  async firstDelivery(id: string, event: string, tx: Db = this.db): Promise<boolean> {
    const r = await tx.query('INSERT INTO deliveries (id, repo, event) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING RETURNING id', [id, this.repo, event]);
    return r.rows.length > 0;
  }

  async deliveryCount(): Promise<number> {
    const r = await this.db.query<{ n: string }>('SELECT count(*) AS n FROM deliveries WHERE repo = $1', [this.repo]);
    return Number(r.rows[0].n);
  }

  /** Replace the reviewed plans of a pull request with those just posted. */
  async setPrPlans(pr: number, headSha: string, plans: { stack: string; digest: string; commit: string; plan?: unknown }[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query('DELETE FROM pr_plans WHERE repo = $1 AND pr = $2', [this.repo, pr]);
      for (const p of plans) {
        const row = [this.repo, pr, p.stack, p.digest, p.commit, headSha, p.plan === undefined ? null : JSON.stringify(p.plan)];
        await tx.query('INSERT INTO pr_plans (repo, pr, stack, digest, commit, head_sha, plan) VALUES ($1, $2, $3, $4, $5, $6, $7)', row);
        // The history of a pull request's plans (its dashboard page); pr_plans keeps the latest only.
        await tx.query('INSERT INTO pr_plans_posted (repo, pr, stack, digest, commit, head_sha, plan) VALUES ($1, $2, $3, $4, $5, $6, $7)', row);
      }
    });
  }

  /** The plans last posted on a pull request (masked JSON), per stack. */
  async prPlans(pr: number): Promise<{ stack: string; digest: string; commit: string; headSha: string; plan: unknown }[]> {
    const r = await this.db.query<Record<string, unknown>>('SELECT * FROM pr_plans WHERE repo = $1 AND pr = $2 ORDER BY stack', [this.repo, pr]);
    return r.rows.map((x) => ({
      stack: x.stack as string,
      digest: x.digest as string,
      commit: x.commit as string,
      headSha: x.head_sha as string,
      plan: parseJson(x.plan),
    }));
  }

  async reviewedDigest(pr: number, stack: string): Promise<string | null> {
    const r = await this.db.query<{ digest: string }>('SELECT digest FROM pr_plans WHERE repo = $1 AND pr = $2 AND stack = $3', [this.repo, pr, stack]);
    return r.rows[0]?.digest ?? null;
  }

  /** Open questions about a stack: the pull requests whose posted plans include it. */
  async prsPlanning(stack: string): Promise<{ pr: number; headSha: string }[]> {
    const r = await this.db.query<{ pr: number; head_sha: string }>('SELECT pr, head_sha FROM pr_plans WHERE repo = $1 AND stack = $2 ORDER BY pr', [
      this.repo,
      stack,
    ]);
    return r.rows.map((x) => ({ pr: Number(x.pr), headSha: x.head_sha }));
  }

  /** The reviewed plan of one stack of a merged pull request has been used (applied, or held with its own digest). */
  async forgetPrPlan(pr: number, stack: string): Promise<void> {
    await this.db.query('DELETE FROM pr_plans WHERE repo = $1 AND pr = $2 AND stack = $3', [this.repo, pr, stack]);
  }

  async setHold(h: Hold): Promise<void> {
    await this.db.query(
      `INSERT INTO holds (repo, stack, commit, pr, digest, reason) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (repo, stack) DO UPDATE SET commit = EXCLUDED.commit, pr = EXCLUDED.pr, digest = EXCLUDED.digest, reason = EXCLUDED.reason, created_at = now()`,
      [this.repo, h.stack, h.commit, h.pr, h.digest, h.reason],
    );
  }

  async clearHold(stack: string, commit?: string): Promise<void> {
    if (commit) await this.db.query('DELETE FROM holds WHERE repo = $1 AND stack = $2 AND commit = $3', [this.repo, stack, commit]);
    else await this.db.query('DELETE FROM holds WHERE repo = $1 AND stack = $2', [this.repo, stack]);
  }

  async holds(pr?: number): Promise<Hold[]> {
    const r =
      pr === undefined
        ? await this.db.query<Record<string, unknown>>('SELECT * FROM holds WHERE repo = $1 ORDER BY stack', [this.repo])
        : await this.db.query<Record<string, unknown>>('SELECT * FROM holds WHERE repo = $1 AND pr = $2 ORDER BY stack', [this.repo, pr]);
    return r.rows.map((x) => ({
      stack: x.stack as string,
      commit: x.commit as string,
      pr: x.pr == null ? null : Number(x.pr),
      digest: x.digest as string,
      reason: x.reason as string,
    }));
  }

  /** Applies held at one commit (released by `/driftless apply` commented on that commit). */
  async holdsAt(commit: string): Promise<Hold[]> {
    return (await this.holds()).filter((h) => h.commit === commit);
  }

  async setMergedPr(sha: string, pr: number, tx: Db = this.db): Promise<void> {
    await tx.query('INSERT INTO merged_prs (repo, sha, pr) VALUES ($1, $2, $3) ON CONFLICT (repo, sha) DO UPDATE SET pr = EXCLUDED.pr', [this.repo, sha, pr]);
  }

  async mergedPr(sha: string): Promise<number | null> {
    const r = await this.db.query<{ pr: number }>('SELECT pr FROM merged_prs WHERE repo = $1 AND sha = $2', [this.repo, sha]);
    return r.rows[0] ? Number(r.rows[0].pr) : null;
  }

  async driftIssue(stack: string): Promise<number | null> {
    const r = await this.db.query<{ number: number }>('SELECT number FROM drift_issues WHERE repo = $1 AND stack = $2', [this.repo, stack]);
    return r.rows[0] ? Number(r.rows[0].number) : null;
  }

  /** The stack whose drift issue is `number` (while it is open); null for any other issue. */
  async stackOfDriftIssue(number: number): Promise<string | null> {
    const r = await this.db.query<{ stack: string }>('SELECT stack FROM drift_issues WHERE repo = $1 AND number = $2', [this.repo, number]);
    return r.rows[0]?.stack ?? null;
  }

  async setDriftIssue(stack: string, n: number | null): Promise<void> {
    if (n === null) await this.db.query('DELETE FROM drift_issues WHERE repo = $1 AND stack = $2', [this.repo, stack]);
    else
      await this.db.query(
        'INSERT INTO drift_issues (repo, stack, number) VALUES ($1, $2, $3) ON CONFLICT (repo, stack) DO UPDATE SET number = EXCLUDED.number',
        [this.repo, stack, n],
      );
  }

  /**
   * Record an open rollback pull request. A second record of an open one is ignored; a closed one
   * that is opened again (reopened on the forge) quarantines its stack again.
   */
  async addRollback(r: Omit<Rollback, 'state'>, tx: Db = this.db): Promise<void> {
    await tx.query(
      `INSERT INTO rollbacks (repo, pr, stack, branch, commit, target, undoes, requested_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (repo, pr) DO UPDATE SET state = 'open', ended_at = NULL WHERE rollbacks.state = 'closed'`,
      [this.repo, r.pr, r.stack, r.branch, r.commit, r.target, JSON.stringify(r.undoes), r.requestedBy],
    );
  }

  async rollback(pr: number): Promise<Rollback | null> {
    const r = await this.db.query<Record<string, unknown>>('SELECT * FROM rollbacks WHERE repo = $1 AND pr = $2', [this.repo, pr]);
    return r.rows[0] ? rollbackRow(r.rows[0]) : null;
  }

  /** The open rollback pull requests (the quarantined stacks), oldest first. */
  async openRollbacks(stack?: string): Promise<Rollback[]> {
    const r =
      stack === undefined
        ? await this.db.query<Record<string, unknown>>("SELECT * FROM rollbacks WHERE repo = $1 AND state = 'open' ORDER BY pr", [this.repo])
        : await this.db.query<Record<string, unknown>>("SELECT * FROM rollbacks WHERE repo = $1 AND stack = $2 AND state = 'open' ORDER BY pr", [
            this.repo,
            stack,
          ]);
    return r.rows.map(rollbackRow);
  }

  /** A rollback pull request was merged or closed: its quarantine ends. Returns the rollback when it was open. */
  async endRollback(pr: number, state: 'merged' | 'closed', tx: Db = this.db): Promise<Rollback | null> {
    const r = await tx.query<Record<string, unknown>>(
      "UPDATE rollbacks SET state = $3, ended_at = now() WHERE repo = $1 AND pr = $2 AND state = 'open' RETURNING *",
      [this.repo, pr, state],
    );
    return r.rows[0] ? rollbackRow(r.rows[0]) : null;
  }
}
