import { createServer } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SecretValue } from '../../src/sdk/secret-value.js';
import { postgresProvider } from '../../src/providers/postgres/index.js';
import { ProviderError, type Session } from '../../src/sdk/provider.js';
import { Admin, desired, recorded, uniquePrefix, urlFor, withDefaults } from '../helpers/postgres-server.js';

const url = inject('pgUrl');
const P = uniquePrefix('err');
let admin: Admin;
const open: Session[] = [];

async function connect(u: string): Promise<Session> {
  const s = await postgresProvider.connect({ name: 'main-db', provider: 'postgres', url: new SecretValue(u, 'test') });
  open.push(s);
  return s;
}

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function failure(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

const role = (name: string) => desired('PostgresRole', name, withDefaults('PostgresRole', {}));

beforeAll(async () => {
  admin = new Admin(url);
  await admin.query(undefined, `CREATE ROLE ${pg.escapeIdentifier(`${P}_limited`)} LOGIN PASSWORD 'limited-pw'`);
  await admin.query(undefined, `CREATE DATABASE ${pg.escapeIdentifier(`${P}_db`)}`);
  await admin.query(`${P}_db`, 'CREATE TABLE secret_table (id int)');
});
afterAll(async () => {
  await Promise.all(open.map((s) => s.close()));
  await admin.cleanup(P);
  await admin.end();
});

describe('postgres provider errors', () => {
  it('names host:port and the cause when the server is unreachable, never the password', async () => {
    const port = await closedPort();
    const s = await connect(`postgres://postgres:SuperSecret123@127.0.0.1:${port}/postgres`);
    const err = await failure(s.read(recorded(role(`${P}_x`))));
    expect(err.message).toContain(`127.0.0.1:${port}`);
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect(err.message).not.toContain('SuperSecret123');
    expect(err.resourceId).toBe(`PostgresRole/${P}_x`);
    const batch = await failure(s.readMany!([recorded(role(`${P}_x`))]));
    expect(batch.message).toContain(`127.0.0.1:${port}`);
  });

  it('reports a refused login without the password', async () => {
    const s = await connect(urlFor(url, { password: 'WrongPassword987' }));
    const err = await failure(s.create(role(`${P}_y`)));
    expect(err.message).toMatch(/cannot connect to PostgreSQL at 127\.0\.0\.1:\d+ .*password authentication failed/);
    expect(err.message).not.toContain('WrongPassword987');
  });

  it('says which statement lacks which privilege', async () => {
    const s = await connect(urlFor(url, { user: `${P}_limited`, password: 'limited-pw' }));
    // reading needs no special privilege
    expect(await s.read(recorded(role(`${P}_limited`)))).not.toBeNull();

    const r = await failure(s.create(role(`${P}_new`)));
    expect(r.message).toMatch(/^permission denied: CREATE ROLE "[^"]+_new" .* as user "[^"]+_limited"; it needs the CREATEROLE attribute/);
    expect(r.resourceId).toBe(`PostgresRole/${P}_new`);

    const d = await failure(s.create(desired('PostgresDatabase', `${P}_newdb`, withDefaults('PostgresDatabase', {}))));
    expect(d.message).toMatch(/permission denied: CREATE DATABASE .* it needs the CREATEDB attribute/);

    const g = await failure(
      s.create(
        desired(
          'PostgresGrant',
          'g',
          withDefaults('PostgresGrant', {
            role: `${P}_limited`,
            database: `${P}_db`,
            on: 'tables',
            schema: 'public',
            objects: ['secret_table'],
            privileges: ['select'],
          }),
        ),
      ),
    );
    expect(g.message).toMatch(
      /permission denied: GRANT SELECT ON TABLE "public"\."secret_table" .* needs ownership of the tables or the privileges WITH GRANT OPTION/,
    );
  });

  it('refuses a target without a url and kinds it does not know', async () => {
    await expect(postgresProvider.connect({ name: 'nourl', provider: 'postgres' })).rejects.toThrow(/"url" is required/);
    const s = await connect(url);
    const err = await failure(s.create(desired('PostgresTable', 'x', {})));
    expect(err.message).toMatch(/no kind "PostgresTable"/);
  });
});
