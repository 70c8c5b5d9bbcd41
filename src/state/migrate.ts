import type { Db } from './db.js';
import { migrations as all, type Migration } from './migrations/index.js';

/** Apply every migration not yet applied, each in its own transaction. Returns the versions applied. */
export async function migrate(db: Db, migrations: Migration[] = all): Promise<number[]> {
  const create = `CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`;
  // Replicas starting together would race on CREATE TABLE IF NOT EXISTS (a unique violation in pg_type).
  if (db.kind === 'postgres') {
    await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(4242001)');
      await tx.exec(create);
    });
  } else await db.exec(create);
  const done = new Set((await db.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => Number(r.version)));
  const applied: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(m.version)) continue;
    if (db.kind === 'postgres') {
      // Several replicas may start at once: one migrates, the others wait for it.
      await db.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock(4242001)');
        const again = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [m.version]);
        if (again.rows.length) return;
        await tx.exec(m.sql);
        await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
        applied.push(m.version);
      });
    } else {
      await db.transaction(async (tx) => {
        await tx.exec(m.sql);
        await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      });
      applied.push(m.version);
    }
  }
  return applied;
}
