/**
 * Connections of one target: one pg.Pool per database on the server, created on first use.
 * Roles and databases are cluster-wide and use the target's own database; schemas, grants and
 * extensions use a pool for the database they live in (same URL, another database name).
 * pg is loaded when a session connects (`loadPg`), never when the provider is only loaded for its
 * kinds and schemas (validate, plan without refresh).
 * A read-only connection (drift checks, plans) logs in with the target's `readUrl` when it is set
 * (a role without write privileges), else with `url`, and in both cases asks the server for
 * `default_transaction_read_only = on`: every statement runs in a read-only transaction, so the
 * server itself refuses a write.
 */
import type { ClientConfig, Pool, PoolClient } from 'pg';
import { reveal } from '../../sdk/secret-value.js';
import { ProviderError, type TargetConfig } from '../../sdk/provider.js';
import { connectError, statementError, type Op } from './errors.js';

export type Row = Record<string, unknown>;
/** Run one statement on an open client (inside `tx`). */
export type Exec = (sql: string, params?: unknown[], op?: Op) => Promise<Row[]>;

const POOL_SIZE = 4;

/** The modules a connection needs, loaded once on first connect. */
export interface PgModules {
  Pool: typeof Pool;
  parseIntoClientConfig: (url: string) => unknown;
}

let loading: Promise<PgModules> | undefined;

/** Load pg and pg-connection-string (once per process). */
export function loadPg(): Promise<PgModules> {
  loading ??= Promise.all([import('pg'), import('pg-connection-string')]).then(([pg, cs]) => ({
    Pool: pg.default.Pool,
    parseIntoClientConfig: cs.parseIntoClientConfig,
  }));
  return loading;
}

export class Connection {
  /** Statements sent, for tests and benchmarks. */
  readonly stats = { queries: 0 };
  readonly defaultDatabase: string;
  /** `host:port`, for messages. */
  readonly where: string;
  readonly user: string;
  private readonly base: ClientConfig;
  private readonly pools = new Map<string, Pool>();

  constructor(
    readonly target: TargetConfig,
    private readonly pg: PgModules,
    /** Read only: `readUrl` when set, and read-only transactions by default on the server. */
    readonly readOnly = false,
  ) {
    const field = readOnly && reveal(target.readUrl) ? 'readUrl' : 'url';
    const url = reveal(target[field]);
    if (!url) throw new ProviderError(`target ${JSON.stringify(target.name)}: "url" is required (a postgres:// URL, or { fromEnv: NAME })`);
    let cfg: ClientConfig;
    try {
      cfg = pg.parseIntoClientConfig(url) as ClientConfig;
    } catch {
      throw new ProviderError(`target ${JSON.stringify(target.name)}: "${field}" is not a valid PostgreSQL connection URL`);
    }
    if (readOnly) cfg = { ...cfg, options: [cfg.options, '-c default_transaction_read_only=on'].filter(Boolean).join(' ') };
    this.base = cfg;
    this.user = cfg.user || process.env.PGUSER || process.env.USER || 'postgres'; // pg's own defaults
    this.defaultDatabase = cfg.database || process.env.PGDATABASE || this.user;
    const host = cfg.host || process.env.PGHOST || 'localhost';
    const port = cfg.port || Number(process.env.PGPORT) || 5432;
    this.where = host.startsWith('/') ? `${host} (port ${port})` : `${host.includes(':') ? `[${host}]` : host}:${port}`;
  }

  private pool(database: string): Pool {
    let p = this.pools.get(database);
    if (!p) {
      p = new this.pg.Pool({
        ...this.base,
        database,
        max: POOL_SIZE,
        idleTimeoutMillis: 10_000,
        connectionTimeoutMillis: 10_000,
        application_name: this.readOnly ? 'driftless (read-only)' : 'driftless',
      });
      // An idle client can die (server restart, database dropped): never crash the process for it.
      p.on('error', () => undefined);
      this.pools.set(database, p);
    }
    return p;
  }

  private async client(database: string, op: Op): Promise<PoolClient> {
    try {
      return await this.pool(database).connect();
    } catch (err) {
      throw connectError(err, this.where, this.user, database, op);
    }
  }

  private execOn(client: PoolClient, database: string): Exec {
    return async (sql, params, op = {}) => {
      this.stats.queries++;
      try {
        return (await client.query(sql, params as unknown[] | undefined)).rows as Row[];
      } catch (err) {
        throw statementError(err, this.user, database, { label: sql, ...op });
      }
    };
  }

  /** Run one statement on `database` (default: the target's database). */
  async query(database: string | undefined, sql: string, params?: unknown[], op: Op = {}): Promise<Row[]> {
    const db = database ?? this.defaultDatabase;
    const client = await this.client(db, op);
    try {
      return await this.execOn(client, db)(sql, params, op);
    } finally {
      client.release();
    }
  }

  /** Run `fn` in one transaction on `database`; rolled back if it throws. */
  async tx<T>(database: string | undefined, op: Op, fn: (exec: Exec) => Promise<T>): Promise<T> {
    const db = database ?? this.defaultDatabase;
    const client = await this.client(db, op);
    const exec = this.execOn(client, db);
    let broken = false;
    try {
      await exec('BEGIN', [], op);
      const out = await fn(exec);
      await exec('COMMIT', [], op);
      return out;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      throw err;
    } finally {
      client.release(broken);
    }
  }

  /** Close the pool of one database (before DROP / RENAME DATABASE, which need it unused). */
  async endPool(database: string): Promise<void> {
    const p = this.pools.get(database);
    if (!p) return;
    this.pools.delete(database);
    await p.end();
  }

  async close(): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(all.map((p) => p.end()));
  }
}
