import type { Db } from '../../state/db.js';
import { parseJson, toIso } from '../../state/sql-values.js';

/** One step of a run as its journal records it: started, then ok / failed / recovered. */
export interface Step {
  /** The journal entry's id: the order of the run's steps, and the position of a live stream. */
  id: number;
  runId: number;
  stack: string;
  resourceId: string;
  operation: string;
  outcome: string | null;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}

/** A change to one resource, with the run and commit that made it (its audit timeline). */
export interface ResourceEvent extends Step {
  commit: string | null;
  pr: number | null;
  actor: string | null;
  kind: string;
  trigger: string;
}

export interface PostedPlan {
  id: number;
  stack: string;
  digest: string;
  commit: string;
  headSha: string;
  plan: unknown;
  postedAt: string;
}

export interface OpenJob {
  id: number;
  kind: string;
  lane: string;
  status: string;
  attempts: number;
  /** The process running it (or that ran it last). */
  owner: string | null;
  runAfter: string;
  /** Not due yet: waiting for its retry time. */
  later: boolean;
  createdAt: string;
  startedAt: string | null;
  /** Why its last attempt did not finish. */
  error: string | null;
  payload: Record<string, unknown>;
}

export interface LatestRun {
  id: number;
  stack: string;
  kind: string;
  outcome: string;
  commit: string | null;
  pr: number | null;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}

export interface DriftCheck {
  stack: string;
  checkedAt: string;
  drifted: number;
  runId: number | null;
}

export interface RunCount {
  stack: string;
  kind: string;
  outcome: string;
  n: number;
}

export interface ProviderCount {
  apiVersion: string;
  kind: string;
  operation: string;
  outcome: string;
  n: number;
}

const STEP_COLUMNS = 'j.id, j.run_id, j.stack, j.resource_id, j.operation, j.outcome, j.error, j.started_at, j.finished_at';

function step(row: Record<string, unknown>): Step {
  return {
    id: Number(row.id),
    runId: Number(row.run_id),
    stack: row.stack as string,
    resourceId: row.resource_id as string,
    operation: row.operation as string,
    outcome: (row.outcome as string) ?? null,
    error: (row.error as string) ?? null,
    startedAt: toIso(row.started_at),
    finishedAt: toIso(row.finished_at, true),
  };
}

/**
 * What the dashboard and the metrics read from the shared state, beyond runs, jobs and the outbox:
 * drift checks, a run's steps, a resource's history, the locks held, and aggregate counts. All of
 * it is in the state store, so every replica answers the same, whichever one did the work.
 */
export class ObserveReads {
  constructor(
    readonly db: Db,
    readonly repo: string,
  ) {}

  /** Record a stack's drift check (clean or not): the last one says whether the stack is drifted now. */
  async recordDriftCheck(stack: string, drifted: number, runId: number | null): Promise<void> {
    await this.db.query(
      `INSERT INTO drift_checks (repo, stack, checked_at, drifted, run_id) VALUES ($1, $2, now(), $3, $4)
       ON CONFLICT (repo, stack) DO UPDATE SET checked_at = now(), drifted = EXCLUDED.drifted, run_id = EXCLUDED.run_id`,
      [this.repo, stack, drifted, runId],
    );
  }

  async driftChecks(): Promise<Map<string, DriftCheck>> {
    const r = await this.db.query<Record<string, unknown>>('SELECT stack, checked_at, drifted, run_id FROM drift_checks WHERE repo = $1', [this.repo]);
    return new Map(
      r.rows.map((row) => [
        row.stack as string,
        { stack: row.stack as string, checkedAt: toIso(row.checked_at), drifted: Number(row.drifted), runId: row.run_id == null ? null : Number(row.run_id) },
      ]),
    );
  }

  /** A run's steps after journal entry `after` (0: all), in journal order, at most `limit`. */
  async steps(runId: number, after = 0, limit = 1000): Promise<Step[]> {
    const r = await this.db.query<Record<string, unknown>>(
      `SELECT ${STEP_COLUMNS} FROM journal j WHERE j.run_id = $1 AND j.id > $2 ORDER BY j.id LIMIT ${Math.max(1, Math.min(limit, 5000))}`,
      [runId, after],
    );
    return r.rows.map(step);
  }

  /** Per resource of a stack: the last run (and its commit) whose step on it succeeded. */
  async lastChanged(stack: string): Promise<Map<string, { runId: number; commit: string | null; at: string }>> {
    const r = await this.db.query<Record<string, unknown>>(
      `SELECT DISTINCT ON (j.resource_id) j.resource_id, j.run_id, r.commit, j.finished_at
         FROM journal j JOIN runs r ON r.id = j.run_id
        WHERE j.repo = $1 AND j.stack = $2 AND j.outcome = 'ok'
        ORDER BY j.resource_id, j.id DESC`,
      [this.repo, stack],
    );
    return new Map(
      r.rows.map((row) => [
        row.resource_id as string,
        { runId: Number(row.run_id), commit: (row.commit as string) ?? null, at: toIso(row.finished_at ?? new Date(0)) },
      ]),
    );
  }

  /** Every step any run took on one resource, newest first, with the run's commit, PR and author. */
  async resourceHistory(stack: string, resourceId: string, limit = 200): Promise<ResourceEvent[]> {
    const r = await this.db.query<Record<string, unknown>>(
      `SELECT ${STEP_COLUMNS}, r.commit, r.pr, r.actor, r.kind, r.trigger
         FROM journal j JOIN runs r ON r.id = j.run_id
        WHERE j.repo = $1 AND j.stack = $2 AND j.resource_id = $3
        ORDER BY j.id DESC LIMIT ${Math.max(1, Math.min(limit, 1000))}`,
      [this.repo, stack, resourceId],
    );
    return r.rows.map((row) => ({
      ...step(row),
      commit: (row.commit as string) ?? null,
      pr: row.pr == null ? null : Number(row.pr),
      actor: (row.actor as string) ?? null,
      kind: row.kind as string,
      trigger: row.trigger as string,
    }));
  }

  /** The stack locks held now, and by whom. */
  async locks(): Promise<Map<string, { holder: string; since: string }>> {
    const r = await this.db.query<Record<string, unknown>>('SELECT stack, holder, acquired_at FROM locks WHERE repo = $1', [this.repo]);
    return new Map(r.rows.map((row) => [row.stack as string, { holder: row.holder as string, since: toIso(row.acquired_at) }]));
  }

  /** Runs per stack, kind and outcome (running ones included). */
  async runCounts(): Promise<RunCount[]> {
    const r = await this.db.query<Record<string, unknown>>(
      'SELECT stack, kind, outcome, count(*) AS n FROM runs WHERE repo = $1 GROUP BY stack, kind, outcome',
      [this.repo],
    );
    return r.rows.map((row) => ({ stack: row.stack as string, kind: row.kind as string, outcome: row.outcome as string, n: Number(row.n) }));
  }

  /**
   * Finished runs' durations as a cumulative histogram over `bounds` (seconds): one count per bound,
   * then the count and the sum of all.
   */
  async runDurations(bounds: readonly number[]): Promise<{ buckets: number[]; count: number; sum: number }> {
    const cols = bounds.map((b, i) => `count(*) FILTER (WHERE d <= ${Number(b)}) AS b${i}`).join(', ');
    const r = await this.db.query<Record<string, unknown>>(
      `SELECT ${cols}${cols ? ',' : ''} count(*) AS n, coalesce(sum(d), 0) AS s
         FROM (SELECT extract(epoch FROM finished_at - started_at)::float8 AS d FROM runs
                WHERE repo = $1 AND finished_at IS NOT NULL AND outcome <> 'invalid') t`,
      [this.repo],
    );
    const row = r.rows[0];
    return { buckets: bounds.map((_, i) => Number(row[`b${i}`])), count: Number(row.n), sum: Number(row.s) };
  }

  /** Provider calls, by the resource's apiVersion and kind, the operation and its outcome. */
  async providerCounts(): Promise<ProviderCount[]> {
    const r = await this.db.query<Record<string, unknown>>(
      `SELECT resource->>'apiVersion' AS api_version, resource->>'kind' AS kind, operation, coalesce(outcome, 'running') AS outcome, count(*) AS n
         FROM journal WHERE repo = $1 GROUP BY 1, 2, 3, 4`,
      [this.repo],
    );
    return r.rows.map((row) => ({
      apiVersion: (row.api_version as string) ?? '',
      kind: (row.kind as string) ?? '',
      operation: row.operation as string,
      outcome: row.outcome as string,
      n: Number(row.n),
    }));
  }

  /** Jobs queued and not yet started (due or waiting for their retry time). */
  async jobsWaiting(): Promise<number> {
    const r = await this.db.query<{ n: string }>(`SELECT count(*) AS n FROM jobs WHERE repo = $1 AND status = 'queued'`, [this.repo]);
    return Number(r.rows[0].n);
  }

  /**
   * The latest run of every stack (`kinds`: only runs of those kinds), in one query: the overview
   * asks it for every stack at once.
   */
  async latestRuns(kinds?: readonly string[]): Promise<Map<string, LatestRun>> {
    return this.latestRunsWhere(kinds ? `kind IN (${kinds.map((k) => `'${k.replace(/'/g, "''")}'`).join(', ')})` : 'true');
  }

  private async latestRunsWhere(cond: string): Promise<Map<string, LatestRun>> {
    const r = await this.db.query<Record<string, unknown>>(
      `SELECT DISTINCT ON (stack) id, stack, kind, outcome, commit, pr, error, started_at, finished_at
         FROM runs WHERE repo = $1 AND ${cond} ORDER BY stack, id DESC`,
      [this.repo],
    );
    return new Map(
      r.rows.map((row) => [
        row.stack as string,
        {
          id: Number(row.id),
          stack: row.stack as string,
          kind: row.kind as string,
          outcome: row.outcome as string,
          commit: (row.commit as string) ?? null,
          pr: row.pr == null ? null : Number(row.pr),
          error: (row.error as string) ?? null,
          startedAt: toIso(row.started_at),
          finishedAt: toIso(row.finished_at, true),
        },
      ]),
    );
  }

  /** The applied commit of every stack that has one. */
  async appliedCommits(): Promise<Map<string, string>> {
    const r = await this.db.query<Record<string, unknown>>('SELECT stack, applied_commit FROM stacks WHERE repo = $1 AND applied_commit IS NOT NULL', [
      this.repo,
    ]);
    return new Map(r.rows.map((row) => [row.stack as string, row.applied_commit as string]));
  }

  /** The runs going on now, by stack (the newest, when a stack has several). */
  async runningRuns(): Promise<Map<string, LatestRun>> {
    const all = await this.latestRunsWhere(`outcome = 'running'`);
    return all;
  }

  /** The lanes with a job queued (not yet running). */
  async queuedLanes(): Promise<Set<string>> {
    const r = await this.db.query<{ lane: string }>(`SELECT DISTINCT lane FROM jobs WHERE repo = $1 AND status = 'queued'`, [this.repo]);
    return new Set(r.rows.map((row) => row.lane));
  }

  /** Jobs queued or running, oldest first, with what the queue page needs to say why each waits. */
  async openJobs(limit = 500): Promise<OpenJob[]> {
    const r = await this.db.query<Record<string, unknown>>(
      `SELECT id, kind, lane, status, attempts, owner, run_after, created_at, started_at, error, payload, run_after > now() AS later
         FROM jobs WHERE repo = $1 AND status IN ('queued', 'running') ORDER BY id LIMIT ${Math.max(1, Math.min(limit, 5000))}`,
      [this.repo],
    );
    return r.rows.map((row) => ({
      id: Number(row.id),
      kind: row.kind as string,
      lane: row.lane as string,
      status: row.status as string,
      attempts: Number(row.attempts),
      owner: (row.owner as string) ?? null,
      runAfter: toIso(row.run_after),
      later: row.later === true || row.later === 't',
      createdAt: toIso(row.created_at),
      startedAt: toIso(row.started_at, true),
      error: (row.error as string) ?? null,
      payload: (parseJson(row.payload) ?? {}) as Record<string, unknown>,
    }));
  }

  /** Every plan posted on a pull request, oldest first (masked JSON). */
  async postedPlans(pr: number): Promise<PostedPlan[]> {
    const r = await this.db.query<Record<string, unknown>>(
      'SELECT id, stack, digest, commit, head_sha, plan, posted_at FROM pr_plans_posted WHERE repo = $1 AND pr = $2 ORDER BY id LIMIT 1000',
      [this.repo, pr],
    );
    return r.rows.map((row) => ({
      id: Number(row.id),
      stack: row.stack as string,
      digest: row.digest as string,
      commit: row.commit as string,
      headSha: row.head_sha as string,
      plan: parseJson(row.plan),
      postedAt: toIso(row.posted_at),
    }));
  }
}
