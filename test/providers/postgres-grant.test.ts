import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { postgresProvider } from '../../src/providers/postgres/index.js';
import { ProviderError, type Session, type Spec } from '../../src/sdk/provider.js';
import { Admin, desired, recorded, specDiff, uniquePrefix, withDefaults } from '../helpers/postgres-server.js';

const KIND = 'PostgresGrant';
const url = inject('pgUrl');
const P = uniquePrefix('gr');
const DB = `${P}_db`;
const OWNER = `${P}_owner`;
const RO = `${P} r"o; --`;
const RW = `${P}_rw`;
const S = `app "s"; ✓`;
let session: Session;
let admin: Admin;

const q = pg.escapeIdentifier;
const grant = (name: string, spec: Spec) => desired(KIND, name, withDefaults(KIND, { database: DB, ...spec }));
const sql = (text: string) => admin.query(DB, text);

/** The role's privileges on a table as the server reports them. */
async function tablePrivileges(role: string, table: string): Promise<string[]> {
  const rows = await admin.query(
    DB,
    `SELECT p FROM unnest(ARRAY['SELECT','INSERT','UPDATE','DELETE','TRUNCATE','REFERENCES','TRIGGER']) p
      WHERE has_table_privilege($1, format('%I.%I', $2::text, $3::text), p) ORDER BY p`,
    [role, S, table],
  );
  return rows.map((r) => String(r.p).toLowerCase());
}

beforeAll(async () => {
  session = await postgresProvider.connect({ name: 'main-db', provider: 'postgres', url });
  admin = new Admin(url);
  for (const r of [OWNER, RO, RW]) await admin.query(undefined, `CREATE ROLE ${q(r)}`);
  await admin.query(undefined, `CREATE DATABASE ${q(DB)} OWNER ${q(OWNER)}`);
  await sql(`CREATE SCHEMA ${q(S)} AUTHORIZATION ${q(OWNER)}; CREATE SCHEMA empty;
    SET ROLE ${q(OWNER)};
    CREATE TABLE ${q(S)}.t1 (id serial); CREATE TABLE ${q(S)}."tåble 2" (id int); CREATE VIEW ${q(S)}.v AS SELECT 1 AS x;
    CREATE FUNCTION ${q(S)}.f(int) RETURNS int LANGUAGE sql AS 'SELECT $1'; CREATE FUNCTION ${q(S)}.f(text) RETURNS text LANGUAGE sql AS 'SELECT $1';
    RESET ROLE`);
});
afterAll(async () => {
  await session.close();
  await admin.cleanup(P);
  await admin.end();
});

describe('PostgresGrant', () => {
  it('on a database: create, read, update, drift, restore, delete', async () => {
    const d1 = grant('db-connect', { role: RO, on: 'database', privileges: ['temporary', 'connect'] });
    const out = await session.create(d1);
    expect(out).toMatchObject({ role: RO, database: DB, on: 'database', privileges: ['connect', 'temporary'] });
    let rec = recorded(d1, out);
    expect(specDiff(KIND, d1.spec, (await session.read(rec))!.spec)).toEqual([]);

    const d2 = grant('db-connect', { role: RO, on: 'database', privileges: ['connect', 'create'] });
    await session.update(d2, rec, ['/spec/privileges']);
    rec = recorded(d2, out);
    expect(specDiff(KIND, d2.spec, (await session.read(rec))!.spec)).toEqual([]);
    const acl = await admin.query(
      undefined,
      `SELECT a.privilege_type AS p FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = $2 AND a.grantee = $1::text::regrole ORDER BY 1`,
      [q(RO), DB],
    );
    expect(acl.map((r) => r.p)).toEqual(['CONNECT', 'CREATE']);

    await admin.query(undefined, `REVOKE CONNECT ON DATABASE ${q(DB)} FROM ${q(RO)}`);
    const drifted = await session.read(rec);
    expect(drifted!.spec.privileges).toEqual(['create']);
    expect(specDiff(KIND, d2.spec, drifted!.spec)).toEqual(['/spec/privileges']);
    await session.update(d2, rec, []);
    expect(specDiff(KIND, d2.spec, (await session.read(rec))!.spec)).toEqual([]);

    await session.delete(rec);
    expect(await session.read(rec)).toBeNull();
  });

  it('on a schema', async () => {
    const d = grant('schema-usage', { role: RO, on: 'schema', schema: S, privileges: ['usage'] });
    const rec = recorded(d, await session.create(d));
    expect(specDiff(KIND, d.spec, (await session.read(rec))!.spec)).toEqual([]);
    await sql(`REVOKE USAGE ON SCHEMA ${q(S)} FROM ${q(RO)}`);
    expect(await session.read(rec)).toBeNull(); // nothing of it is left
    await session.create(d);
    expect(specDiff(KIND, d.spec, (await session.read(rec))!.spec)).toEqual([]);
    await session.delete(rec);
    expect(await session.read(rec)).toBeNull();
  });

  it('on all tables with default privileges: drift on one table, extras, defaults, grant option', async () => {
    const spec = { role: RO, on: 'tables', schema: S, privileges: ['select'], defaultPrivileges: true, forRole: OWNER };
    const d1 = grant('ro-tables', spec);
    let rec = recorded(d1, await session.create(d1));
    expect(specDiff(KIND, d1.spec, (await session.read(rec))!.spec)).toEqual([]);
    expect(await tablePrivileges(RO, 'tåble 2')).toEqual(['select']);

    // objects created later by the owner get the privileges
    await sql(`SET ROLE ${q(OWNER)}; CREATE TABLE ${q(S)}.later (id int); RESET ROLE`);
    expect(await tablePrivileges(RO, 'later')).toEqual(['select']);
    expect(specDiff(KIND, d1.spec, (await session.read(rec))!.spec)).toEqual([]);

    // drift: one table lost SELECT, another gained INSERT
    await sql(`REVOKE SELECT ON ${q(S)}.t1 FROM ${q(RO)}; GRANT INSERT ON ${q(S)}."tåble 2" TO ${q(RO)}`);
    let obs = await session.read(rec);
    expect(obs!.spec.privileges).toEqual(['insert']);
    await session.update(d1, rec, []);
    expect(specDiff(KIND, d1.spec, (await session.read(rec))!.spec)).toEqual([]);
    expect(await tablePrivileges(RO, 't1')).toEqual(['select']);
    expect(await tablePrivileges(RO, 'tåble 2')).toEqual(['select']);

    // drift in the default privileges
    await sql(`ALTER DEFAULT PRIVILEGES FOR ROLE ${q(OWNER)} IN SCHEMA ${q(S)} REVOKE SELECT ON TABLES FROM ${q(RO)}`);
    obs = await session.read(rec);
    expect(specDiff(KIND, d1.spec, obs!.spec)).toEqual(['/spec/defaultPrivileges', '/spec/privileges']);
    await session.update(d1, rec, []);
    expect(specDiff(KIND, d1.spec, (await session.read(rec))!.spec)).toEqual([]);

    // update: more privileges, with grant option; then without
    const d2 = grant('ro-tables', { ...spec, privileges: ['select', 'references'], withGrantOption: true });
    await session.update(d2, rec, ['/spec/privileges', '/spec/withGrantOption']);
    rec = recorded(d2, {});
    expect(specDiff(KIND, d2.spec, (await session.read(rec))!.spec)).toEqual([]);
    const [g] = await admin.query(DB, `SELECT has_table_privilege($1, format('%I.t1', $2::text), 'SELECT WITH GRANT OPTION') AS g`, [RO, S]);
    expect(g!.g).toBe(true);
    const d3 = grant('ro-tables', { ...spec, privileges: ['select', 'references'] });
    await session.update(d3, rec, ['/spec/withGrantOption']);
    rec = recorded(d3, {});
    expect(specDiff(KIND, d3.spec, (await session.read(rec))!.spec)).toEqual([]);

    // defaultPrivileges true -> false revokes the default privileges
    const d4 = grant('ro-tables', { role: RO, on: 'tables', schema: S, privileges: ['select', 'references'] });
    await session.update(d4, rec, ['/spec/defaultPrivileges', '/spec/forRole']);
    rec = recorded(d4, {});
    expect(await admin.query(DB, 'SELECT 1 FROM pg_default_acl')).toHaveLength(0);
    expect(specDiff(KIND, d4.spec, (await session.read(rec))!.spec)).toEqual([]);

    await session.delete(rec);
    expect(await session.read(rec)).toBeNull();
    for (const t of ['t1', 'tåble 2', 'v', 'later']) expect(await tablePrivileges(RO, t)).toEqual([]);
  });

  it('on named tables: objects change in place', async () => {
    const d1 = grant('rw-named', { role: RW, on: 'tables', schema: S, objects: ['t1', 'tåble 2'], privileges: ['select', 'insert', 'update', 'delete'] });
    let rec = recorded(d1, await session.create(d1));
    expect(specDiff(KIND, d1.spec, (await session.read(rec))!.spec)).toEqual([]);
    expect(await tablePrivileges(RW, 'v')).toEqual([]);

    const d2 = grant('rw-named', { ...d1.spec, objects: ['tåble 2'] });
    await session.update(d2, rec, ['/spec/objects']);
    rec = recorded(d2, {});
    expect(await tablePrivileges(RW, 't1')).toEqual([]);
    expect(await tablePrivileges(RW, 'tåble 2')).toEqual(['delete', 'insert', 'select', 'update']);
    expect(specDiff(KIND, d2.spec, (await session.read(rec))!.spec)).toEqual([]);

    const missing = grant('rw-missing', { role: RW, on: 'tables', schema: S, objects: ['tåble 2', 'nope'], privileges: ['select'] });
    const err = await session.create(missing).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as Error).message).toMatch(/relation .*nope.* does not exist/);

    await session.delete(rec);
    expect(await session.read(rec)).toBeNull();
  });

  it('lets the server say what is missing', async () => {
    const noRole = grant('no-role', { role: `${P}_nobody`, on: 'database', privileges: ['connect'] });
    await expect(session.create(noRole)).rejects.toThrow(/role "[^"]+_nobody" does not exist/);
    const noSchema = grant('no-schema', { role: RO, on: 'tables', schema: 'nope', privileges: ['select'] });
    await expect(session.create(noSchema)).rejects.toThrow(/schema "nope" does not exist/);
    expect(await session.read(recorded(noSchema))).toBeNull();
  });

  it('on sequences and functions, and on an empty schema', async () => {
    const seq = grant('seq', { role: RW, on: 'sequences', schema: S, privileges: ['usage', 'select'], defaultPrivileges: true, forRole: OWNER });
    const fn = grant('fn', { role: RW, on: 'functions', schema: S, privileges: ['execute'], defaultPrivileges: true });
    const empty = grant('empty', { role: RW, on: 'tables', schema: 'empty', privileges: ['select'] });
    const recs = [];
    for (const d of [seq, fn, empty]) recs.push(recorded(d, await session.create(d)));
    const obs = await session.readMany!(recs);
    [seq, fn, empty].forEach((d, i) => expect(specDiff(KIND, d.spec, obs[i]!.spec), d.id).toEqual([]));
    const [x] = await admin.query(DB, `SELECT has_function_privilege($1, format('%I.f(int)', $2::text), 'EXECUTE') AS x`, [RW, S]);
    expect(x!.x).toBe(true);

    await sql(`REVOKE EXECUTE ON FUNCTION ${q(S)}.f(text) FROM ${q(RW)}`);
    expect(specDiff(KIND, fn.spec, (await session.read(recs[1]!))!.spec)).toEqual(['/spec/privileges']);
    await session.update(fn, recs[1]!, []);
    expect(specDiff(KIND, fn.spec, (await session.read(recs[1]!))!.spec)).toEqual([]);

    for (const r of recs) await session.delete(r);
    expect(await session.read(recs[0]!)).toBeNull();
    expect(await session.read(recs[1]!)).toBeNull();
  });
});
