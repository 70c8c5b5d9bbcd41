import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { postgresProvider } from '../../src/providers/postgres/index.js';
import { ProviderError, type Session, type Spec } from '../../src/sdk/provider.js';
import { Admin, desired, recorded, specDiff, uniquePrefix, withDefaults } from '../helpers/postgres-server.js';

const KIND = 'PostgresSchema';
const url = inject('pgUrl');
const P = uniquePrefix('sch');
const DB = `${P} d.b "x"`; // a dot, quotes and spaces in the database name too
let session: Session;
let admin: Admin;

const schema = (name: string, spec: Spec, adopt?: boolean) => desired(KIND, name, withDefaults(KIND, { database: DB, ...spec }), adopt);
const q = pg.escapeIdentifier;

beforeAll(async () => {
  session = await postgresProvider.connect({ name: 'main-db', provider: 'postgres', url });
  admin = new Admin(url);
  await admin.query(undefined, `CREATE DATABASE ${q(DB)}`);
  for (const r of ['o1', 'o2']) await admin.query(undefined, `CREATE ROLE ${q(`${P}_${r}`)}`);
});
afterAll(async () => {
  await session.close();
  await admin.cleanup(P);
  await admin.end();
});

describe('PostgresSchema', () => {
  it('creates, reads, updates, sees drift (dropped), restores, renames and deletes', async () => {
    const d1 = schema('sales', { owner: `${P}_o1` });
    const out = await session.create(d1);
    expect(out).toMatchObject({ name: 'sales', database: DB, owner: `${P}_o1` });
    let rec = recorded(d1, out);
    expect(specDiff(KIND, d1.spec, (await session.read(rec))!.spec)).toEqual([]);

    const d2 = schema('sales', { owner: `${P}_o2` });
    await session.update(d2, rec, ['/spec/owner']);
    rec = recorded(d2, out);
    expect(specDiff(KIND, d2.spec, (await session.read(rec))!.spec)).toEqual([]);

    await admin.query(DB, `ALTER SCHEMA sales OWNER TO ${q(`${P}_o1`)}`);
    expect(specDiff(KIND, d2.spec, (await session.read(rec))!.spec)).toEqual(['/spec/owner']);
    await session.update(d2, rec, []);
    expect(specDiff(KIND, d2.spec, (await session.read(rec))!.spec)).toEqual([]);

    await admin.query(DB, 'DROP SCHEMA sales');
    expect(await session.read(rec)).toBeNull();
    const out2 = await session.create(d2);
    rec = recorded(d2, out2);
    expect(specDiff(KIND, d2.spec, (await session.read(rec))!.spec)).toEqual([]);

    const d3 = schema('sales', { name: 'sales "2024"; --', owner: `${P}_o2` });
    const out3 = await session.update(d3, rec, ['/spec/name']);
    expect(out3).toMatchObject({ name: 'sales "2024"; --', oid: out2.oid });
    expect(await session.read(rec)).toBeNull();
    rec = recorded(d3, out3);
    expect(specDiff(KIND, d3.spec, (await session.read(rec))!.spec)).toEqual([]);

    await session.delete(rec);
    expect(await session.read(rec)).toBeNull();
    await session.delete(rec);
  });

  it('quotes hostile names, including dots', async () => {
    const name = `a.b "c"; DROP SCHEMA public; -- ✓ 名前`;
    const d = schema('hostile', { name, owner: `${P}_o1` });
    const out = await session.create(d);
    const rec = recorded(d, out);
    expect(postgresProvider.kinds[KIND]!.naturalKey(d.spec, d.name)).toBe(`"${P} d.b ""x"""."a.b ""c""; DROP SCHEMA public; -- ✓ 名前"`);
    expect(specDiff(KIND, d.spec, (await session.read(rec))!.spec)).toEqual([]);
    expect(await admin.query(DB, "SELECT 1 FROM pg_namespace WHERE nspname = 'public'")).toHaveLength(1);
    await session.delete(rec);
    expect(await session.read(rec)).toBeNull();
  });

  it('does not drop a schema that still holds objects', async () => {
    const d = schema('stuffed', {});
    const out = await session.create(d);
    await admin.query(DB, 'CREATE TABLE stuffed.t (id int)');
    const err = await session.delete(recorded(d, out)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as Error).message).toMatch(/is not empty.*table stuffed\.t/);
    await admin.query(DB, 'DROP TABLE stuffed.t');
    await session.delete(recorded(d, out));
    expect(await session.read(recorded(d, out))).toBeNull();
  });

  it('refuses an existing schema unless adopted', async () => {
    await admin.query(DB, 'CREATE SCHEMA legacy');
    const d = schema('legacy', { owner: `${P}_o2` });
    await expect(session.create(d)).rejects.toThrow(/schema "legacy" in database .* already exists.*metadata\.import: true/s);
    const out = await session.create({ ...d, adopt: true });
    expect(specDiff(KIND, d.spec, (await session.read(recorded(d, out)))!.spec)).toEqual([]);
  });

  it('reads a schema of a database that is gone as gone', async () => {
    const d = desired(KIND, 'x', withDefaults(KIND, { database: `${P}_nope` }));
    expect(await session.read(recorded(d))).toBeNull();
    await session.delete(recorded(d));
  });
});
