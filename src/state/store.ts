import { hostname } from 'node:os';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import type { Db } from './db.js';
import type { RecordedResource, Summary } from '../plan/model.js';
import type { RolloutReport } from '../plan/rollout.js';
import { parseJson, toIso } from './sql-values.js';
import { journalEntries, stateWrite, type JournalEffect, type JournalIntent, type Statement } from './state-writes.js';

export interface StackKey {
  repo: string;
  stack: string;
}

export type RunOutcome = 'running' | 'succeeded' | 'failed' | 'partial' | 'interrupted' | 'refused' | 'no-changes' | 'drifted' | 'invalid';

export interface ResultChange {
  id: string;
  action: string;
  outcome: 'ok' | 'failed' | 'skipped';
  error?: string;
}

/** How a run's rollout went (runs of a stack with `rollout`). */
export type RunRollout = RolloutReport;

export interface RunRecord {
  id: number;
  repo: string;
  stack: string;
  kind: 'apply' | 'drift' | 'remediate';
  trigger: string;
  commit: string | null;
  actor: string | null;
  pr: number | null;
  digest: string | null;
  startedAt: string;
  finishedAt: string | null;
  outcome: RunOutcome;
  summary: Summary | null;
  results: ResultChange[] | null;
  error: string | null;
  rollout?: RunRollout;
}

export type { JournalEffect, JournalIntent } from './state-writes.js';

export interface JournalEntry {
  id: number;
  runId: number;
  resourceId: string;
  operation: string;
  resource: RecordedResource;
  startedAt: string;
}

export interface StackLock {
  release(): Promise<void>;
}

export class LockedError extends Error {
  override name = 'LockedError';
}

/** The identity of this process, as shown to whoever finds a lock it holds. */
export const PROCESS_HOLDER = `pid ${process.pid} on ${hostname()} (${process.argv.slice(2, 3).join(' ') || 'driftless'})`;

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** The columns a RunRecord is made of. */
const RUN_COLUMNS = 'id, repo, stack, kind, trigger, commit, actor, pr, digest, started_at, finished_at, outcome, summary, results, error, rollout';

/** Rows per query when reading a stack's resources. */
const RESOURCE_PAGE = 1000;

/**
 * State: resources, runs, the journal and locks, keyed by repository + stack. Plain SQL over a Db
 * (embedded PGlite or PostgreSQL).
 */
export class StateStore {
  /** Whether this process changed a stack or resource row (a snapshot of what it read is then stale). */
  wroteState = false;

  constructor(readonly db: Db) {}

  /** Clear lock rows left by dead holders. Embedded stores only: the data-dir lock makes us the one process. */
  async clearStaleLocks(): Promise<void> {
    if (this.db.kind === 'embedded') await this.db.query('DELETE FROM locks');
  }

  async stackState(k: StackKey): Promise<{ serial: number; appliedCommit: string | null }> {
    const r = await this.db.query<{ serial: string; applied_commit: string | null }>(
      'SELECT serial, applied_commit FROM stacks WHERE repo = $1 AND stack = $2',
      [k.repo, k.stack],
    );
    return r.rows[0] ? { serial: Number(r.rows[0].serial), appliedCommit: r.rows[0].applied_commit } : { serial: 0, appliedCommit: null };
  }

  /**
   * Every recorded resource of a stack, read in pages of RESOURCE_PAGE rows (keyset on id) so that
   * a large stack's rows never sit in memory twice over: as one result message and as objects.
   * The pages are read in one repeatable-read transaction: one snapshot, as a single query gives.
   * `each` sees every row as it is read (and may return it with shared values).
   */
  async resources(k: StackKey, each: (r: RecordedResource) => RecordedResource = (r) => r): Promise<Map<string, RecordedResource>> {
    return this.db.transaction(async (tx) => {
      await tx.exec('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      return this.readResources(tx, k, each);
    });
  }

  private async readResources(db: Db, k: StackKey, each: (r: RecordedResource) => RecordedResource): Promise<Map<string, RecordedResource>> {
    const out = new Map<string, RecordedResource>();
    let after = '';
    for (;;) {
      const r = await db.query<{
        id: string;
        api_version: string;
        kind: string;
        name: string;
        spec: unknown;
        outputs: unknown;
        deps: unknown;
        protect: boolean;
      }>(
        `SELECT id, api_version, kind, name, spec, outputs, deps, protect FROM resources
         WHERE repo = $1 AND stack = $2 AND id > $3 ORDER BY id LIMIT ${RESOURCE_PAGE}`,
        [k.repo, k.stack, after],
      );
      for (const row of r.rows) {
        out.set(
          row.id,
          each({
            id: row.id,
            apiVersion: row.api_version,
            kind: row.kind,
            name: row.name,
            spec: parseJson(row.spec) as RecordedResource['spec'],
            outputs: parseJson(row.outputs) as RecordedResource['outputs'],
            deps: parseJson(row.deps) as string[],
            protect: row.protect,
          }),
        );
      }
      if (r.rows.length < RESOURCE_PAGE) return out;
      after = r.rows[r.rows.length - 1].id;
    }
  }

  /** Record a resource (insert or replace) and bump the stack's serial, atomically. */
  async putResource(k: StackKey, res: RecordedResource): Promise<number> {
    return this.writeState(stateWrite(k, [{ put: res }]));
  }

  async deleteResource(k: StackKey, id: string): Promise<number> {
    return this.writeState(stateWrite(k, [{ forget: id }]));
  }

  /** Run a stateWrite statement; returns the new serial. */
  private async writeState(st: Statement): Promise<number> {
    this.wroteState = true;
    const r = await this.db.query<{ serial: string }>(st.sql, st.params);
    return Number(r.rows[0].serial);
  }

  async setAppliedCommit(k: StackKey, commit: string): Promise<void> {
    this.wroteState = true;
    await this.db.query(
      `INSERT INTO stacks (repo, stack, serial, applied_commit) VALUES ($1, $2, 0, $3)
       ON CONFLICT (repo, stack) DO UPDATE SET applied_commit = EXCLUDED.applied_commit, updated_at = now()`,
      [k.repo, k.stack, commit],
    );
  }

  async startRun(
    k: StackKey,
    info: { kind: RunRecord['kind']; trigger: string; commit: string | null; actor?: string | null; pr?: number | null; digest?: string | null },
  ): Promise<number> {
    const r = await this.db.query<{ id: string }>(
      'INSERT INTO runs (repo, stack, kind, trigger, commit, actor, pr, digest) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id',
      [k.repo, k.stack, info.kind, info.trigger, info.commit, info.actor ?? null, info.pr ?? null, info.digest ?? null],
    );
    return Number(r.rows[0].id);
  }

  async finishRun(id: number, outcome: RunOutcome, summary: Summary | null, results: ResultChange[] | null, error?: string): Promise<void> {
    await this.db.query('UPDATE runs SET finished_at = now(), outcome = $2, summary = $3, results = $4, error = $5 WHERE id = $1', [
      id,
      outcome,
      summary ? JSON.stringify(summary) : null,
      results ? JSON.stringify(results) : null,
      error ?? null,
    ]);
  }

  async setRunRollout(id: number, rollout: RunRollout): Promise<void> {
    await this.db.query('UPDATE runs SET rollout = $2 WHERE id = $1', [id, JSON.stringify(rollout)]);
  }

  async runs(
    filter: { repo?: string; stack?: string; limit?: number; id?: number; commit?: string; kind?: RunRecord['kind']; outcome?: RunOutcome; pr?: number } = {},
  ): Promise<RunRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.repo) where.push(`repo = $${params.push(filter.repo)}`);
    if (filter.stack) where.push(`stack = $${params.push(filter.stack)}`);
    if (filter.id) where.push(`id = $${params.push(filter.id)}`);
    if (filter.commit) where.push(`commit = $${params.push(filter.commit)}`);
    if (filter.kind) where.push(`kind = $${params.push(filter.kind)}`);
    if (filter.outcome) where.push(`outcome = $${params.push(filter.outcome)}`);
    if (filter.pr) where.push(`pr = $${params.push(filter.pr)}`);
    // Not the run's plan: it holds every change (megabytes for a large stack); runPlan reads it alone.
    const sql = `SELECT ${RUN_COLUMNS} FROM runs ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ${Math.max(1, Math.min(filter.limit ?? 50, 1000))}`;
    const r = await this.db.query<Record<string, unknown>>(sql, params);
    return r.rows.map((row) => ({
      id: Number(row.id),
      repo: row.repo as string,
      stack: row.stack as string,
      kind: row.kind as RunRecord['kind'],
      trigger: row.trigger as string,
      commit: (row.commit as string) ?? null,
      actor: (row.actor as string) ?? null,
      pr: row.pr == null ? null : Number(row.pr),
      digest: (row.digest as string) ?? null,
      startedAt: toIso(row.started_at),
      finishedAt: row.finished_at ? toIso(row.finished_at) : null,
      outcome: row.outcome as RunOutcome,
      summary: parseJson(row.summary) as Summary | null,
      results: parseJson(row.results) as ResultChange[] | null,
      error: (row.error as string) ?? null,
      ...(row.rollout ? { rollout: parseJson(row.rollout) as RunRollout } : {}),
    }));
  }

  /** Write the journal entry that precedes a provider call. */
  async journalStart(runId: number, k: StackKey, resourceId: string, operation: string, resource: RecordedResource): Promise<number> {
    return (await this.journalStartMany(runId, k, [{ resourceId, operation, resource }]))[0];
  }

  /**
   * Write the journal entries that precede several provider calls, in one statement (group commit:
   * an apply writes those of the steps that start together). Returns their ids, in order.
   */
  async journalStartMany(runId: number, k: StackKey, entries: JournalIntent[]): Promise<number[]> {
    const st = journalEntries(runId, k, entries);
    const r = await this.db.query<{ id: string; resource_id: string }>(st.sql, st.params);
    // Matched by resource (the entries of one batch are of distinct resources), not by row order.
    const ids = new Map(r.rows.map((row) => [row.resource_id, Number(row.id)]));
    if (ids.size !== entries.length) throw new Error('journal entries of one batch must be of distinct resources');
    return entries.map((e) => ids.get(e.resourceId)!);
  }

  async journalFinish(id: number, outcome: 'ok' | 'failed' | 'recovered', error?: string, tx: Db = this.db): Promise<void> {
    await tx.query('UPDATE journal SET finished_at = now(), outcome = $2, error = $3 WHERE id = $1', [id, outcome, error ?? null]);
  }

  /**
   * A provider call that succeeded: its journal entry says ok and state records what it did (the
   * resource, or its absence), in one transaction, so a crash never leaves an entry that says ok for
   * a change state does not hold. Returns the new serial.
   */
  async journalDone(id: number, k: StackKey, effect: JournalEffect): Promise<number> {
    return this.journalDoneMany(k, [{ id, effect }]);
  }

  /**
   * Several provider calls that succeeded (see journalDone), in one statement: the entries say ok,
   * the resources are written or removed, and the serial moves by one per call, all or nothing.
   * As separate transactions, the statements were most of an apply's time on embedded state.
   */
  async journalDoneMany(k: StackKey, done: { id: number; effect: JournalEffect }[]): Promise<number> {
    return this.writeState(
      stateWrite(
        k,
        done.map((d) => d.effect),
        done.map((d) => d.id),
      ),
    );
  }

  async unfinishedJournal(k: StackKey): Promise<JournalEntry[]> {
    const r = await this.db.query<Record<string, unknown>>(
      'SELECT id, run_id, resource_id, operation, resource, started_at FROM journal WHERE repo = $1 AND stack = $2 AND outcome IS NULL ORDER BY id',
      [k.repo, k.stack],
    );
    return r.rows.map((row) => ({
      id: Number(row.id),
      runId: Number(row.run_id),
      resourceId: row.resource_id as string,
      operation: row.operation as string,
      resource: parseJson(row.resource) as RecordedResource,
      startedAt: toIso(row.started_at),
    }));
  }

  async journal(runId: number): Promise<{ resourceId: string; operation: string; outcome: string | null; error: string | null }[]> {
    const r = await this.db.query<Record<string, unknown>>('SELECT resource_id, operation, outcome, error FROM journal WHERE run_id = $1 ORDER BY id', [runId]);
    return r.rows.map((row) => ({
      resourceId: row.resource_id as string,
      operation: row.operation as string,
      outcome: (row.outcome as string) ?? null,
      error: (row.error as string) ?? null,
      ...(row.rollout ? { rollout: parseJson(row.rollout) as RunRollout } : {}),
    }));
  }

  /** Take the stack's apply lock, or throw LockedError naming the holder. */
  async lockStack(k: StackKey, holder = PROCESS_HOLDER): Promise<StackLock> {
    const key = `driftless:${k.repo}:${k.stack}`;
    let releaseAdvisory: (() => Promise<void>) | null = null;
    if (this.db.advisoryLock) {
      releaseAdvisory = await this.db.advisoryLock(key);
      if (!releaseAdvisory) throw new LockedError(`stack ${k.stack} is locked by ${await this.lockHolder(k)}`);
      await this.db.query(
        `INSERT INTO locks (repo, stack, holder) VALUES ($1, $2, $3) ON CONFLICT (repo, stack) DO UPDATE SET holder = EXCLUDED.holder, acquired_at = now()`,
        [k.repo, k.stack, holder],
      );
    } else {
      const r = await this.db.query('INSERT INTO locks (repo, stack, holder) VALUES ($1, $2, $3) ON CONFLICT (repo, stack) DO NOTHING RETURNING holder', [
        k.repo,
        k.stack,
        holder,
      ]);
      if (r.rows.length === 0) throw new LockedError(`stack ${k.stack} is locked by ${await this.lockHolder(k)}`);
    }
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        await this.db.query('DELETE FROM locks WHERE repo = $1 AND stack = $2 AND holder = $3', [k.repo, k.stack, holder]);
        if (releaseAdvisory) await releaseAdvisory();
      },
    };
  }

  private async lockHolder(k: StackKey): Promise<string> {
    const r = await this.db.query<{ holder: string; acquired_at: unknown }>('SELECT holder, acquired_at FROM locks WHERE repo = $1 AND stack = $2', [
      k.repo,
      k.stack,
    ]);
    return r.rows[0] ? `${r.rows[0].holder} since ${toIso(r.rows[0].acquired_at)}` : 'another process';
  }

  /** Keep the plan a run carries out, compressed (see migration 8): masked JSON, as plans never hold secret values. */
  async setRunPlan(runId: number, plan: unknown): Promise<void> {
    const gz = await gzipAsync(JSON.stringify(plan), { level: 1 });
    await this.db.query('UPDATE runs SET plan = NULL, plan_gz = $2 WHERE id = $1', [runId, gz.toString('base64')]);
  }

  /** The plan of a run, or null (runs made before plans were kept, or none). */
  async runPlan(runId: number): Promise<unknown> {
    const r = await this.db.query<{ plan: unknown; plan_gz: string | null }>('SELECT plan, plan_gz FROM runs WHERE id = $1', [runId]);
    const row = r.rows[0];
    if (!row) return null;
    return row.plan_gz ? JSON.parse((await gunzipAsync(Buffer.from(row.plan_gz, 'base64'))).toString('utf8')) : parseJson(row.plan);
  }

  /** Does the store answer? (readiness) */
  async ping(): Promise<void> {
    await this.db.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
