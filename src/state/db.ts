import v8 from 'node:v8';
import pg from 'pg';
import { seedDataDir, TEMPLATE_DIR, type EmbeddedStart } from './template.js';

/** The little SQL surface the store needs; PGlite and PostgreSQL both provide it. */
export interface Db {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
  /** Run several statements (no parameters), e.g. a migration. */
  exec(sql: string): Promise<void>;
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  /** A session-scoped advisory lock that dies with its holder (PostgreSQL only). */
  advisoryLock?(key: string): Promise<(() => Promise<void>) | null>;
  readonly kind: 'embedded' | 'postgres';
  /** Embedded only: whether its data dir was there, unpacked from the template, or made by initdb (and why). */
  readonly started?: EmbeddedStart;
  close(): Promise<void>;
}

/**
 * Settings for the embedded server. PostgreSQL's default buffer pool (128 MB) is touched when the
 * server starts, so it stays resident for the life of the process. The store's pages are in the OS
 * page cache anyway; measured on a 10,000-resource state, 4 MB reads and writes as fast as 128 MB
 * and takes ~130 MB off the process (bench/analysis.md).
 */
const EMBEDDED_SETTINGS = ['shared_buffers=4MB'];

/**
 * Embedded PostgreSQL (PGlite) in a directory. Loaded lazily: it is large. A new data dir is unpacked
 * from `template` (a directory written by writeTemplate; null: none) when it fits the installed PGlite.
 */
export async function openEmbedded(dir: string, opts: { template?: string | null } = {}): Promise<Db> {
  const started = await seedDataDir(dir, opts.template === undefined ? TEMPLATE_DIR : opts.template);
  // V8 compiles wasm with its baseline compiler, then recompiles hot functions with its optimising
  // one; for PostgreSQL's ~9 MB module that second tier costs ~80 MB of peak memory and made no
  // measurable difference to the store's queries (bench/analysis.md). Only new wasm compiles are affected.
  v8.setFlagsFromString('--liftoff-only');
  const { PGlite } = await import('@electric-sql/pglite');
  const db = new PGlite(dir, { startParams: [...PGlite.defaultStartParams, ...EMBEDDED_SETTINGS.flatMap((s) => ['-c', s])] });
  await db.waitReady;
  const wrap = (q: { query: typeof db.query; exec: typeof db.exec }): Omit<Db, 'transaction' | 'close' | 'kind'> => ({
    async query<T>(sql: string, params?: unknown[]) {
      const r = await q.query<T>(sql, params as unknown[]);
      return { rows: r.rows };
    },
    async exec(sql: string) {
      await q.exec(sql);
    },
  });
  let queue: Promise<unknown> = Promise.resolve();
  const self: Db = {
    kind: 'embedded',
    started,
    ...wrap(db),
    // PGlite runs one statement at a time; transactions must not interleave with other queries.
    transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
      const run = (): Promise<T> => db.transaction(async (tx) => fn({ ...self, ...wrap(tx as unknown as typeof db), transaction: (f) => f(self) }));
      const next = queue.then(run, run);
      queue = next.catch(() => undefined);
      return next;
    },
    async close() {
      await db.close();
    },
  };
  return self;
}

/** A PostgreSQL server (several replicas can share it). */
export async function openPostgres(url: string): Promise<Db> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  pool.on('error', () => undefined); // an idle client's error must not crash the process
  try {
    const c = await pool.connect();
    c.release();
  } catch (err) {
    await pool.end().catch(() => undefined);
    const u = safeUrl(url);
    throw new Error(`cannot reach the state database at ${u}: ${(err as Error).message}`);
  }
  const fromClient = (c: pg.PoolClient | pg.Pool): Omit<Db, 'transaction' | 'close' | 'kind' | 'advisoryLock'> => ({
    async query<T>(sql: string, params?: unknown[]) {
      const r = await c.query(sql, params);
      return { rows: r.rows as T[] };
    },
    async exec(sql: string) {
      await c.query(sql);
    },
  });
  const held = new Set<pg.PoolClient>(); // clients holding advisory locks
  const self: Db = {
    kind: 'postgres',
    ...fromClient(pool),
    async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        const r = await fn({ ...self, ...fromClient(c), transaction: (f) => f(self) });
        await c.query('COMMIT');
        return r;
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        c.release();
      }
    },
    async advisoryLock(key: string) {
      const c = await pool.connect();
      const r = await c.query('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok', [key]);
      if (!r.rows[0].ok) {
        c.release();
        return null;
      }
      held.add(c);
      c.on('error', (err) => {
        if (held.delete(c)) c.release(err); // the session died: so did its lock
      });
      return async () => {
        if (!held.delete(c)) return;
        try {
          await c.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]);
          c.release();
        } catch (err) {
          c.release(err as Error);
        }
      };
    },
    async close() {
      // Ending the sessions that hold locks releases the locks, as a dead process would.
      for (const c of held) c.release(true);
      held.clear();
      await pool.end();
    },
  };
  return self;
}

function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = u.password ? '***' : '';
    return u.toString();
  } catch {
    return '(invalid URL)';
  }
}
