/** A database of the test file's own on the suite's PostgreSQL, created before its tests and dropped after. */
import { afterAll, beforeAll, inject } from 'vitest';
import pg from 'pg';

/** Register the hooks; the returned function gives the database's URL once `beforeAll` has run. */
export function ownDatabase(prefix: string): () => string {
  let admin: pg.Client | undefined;
  let dbName = '';
  let url = '';
  beforeAll(async () => {
    admin = new pg.Client({ connectionString: inject('pgUrl') });
    await admin.connect();
    dbName = `${prefix}_${Math.random().toString(36).slice(2, 10)}`;
    await admin.query(`CREATE DATABASE ${dbName}`);
    const u = new URL(inject('pgUrl'));
    u.pathname = `/${dbName}`;
    url = u.toString();
  });
  afterAll(async () => {
    await admin?.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin?.end();
  });
  return () => url;
}
