import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { postgresProvider } from '../../src/providers/postgres/index.js';
import { ProviderError, type Session, type Spec } from '../../src/sdk/provider.js';
import { Admin, desired, pgClientFor, recorded, specDiff, uniquePrefix, withDefaults } from '../helpers/postgres-server.js';

const KIND = 'PostgresDatabase';
const url = inject('pgUrl');
const P = uniquePrefix('db');
let session: Session;
let admin: Admin;

const db = (name: string, spec: Spec, adopt?: boolean) => desired(KIND, name, withDefaults(KIND, spec), adopt);
const q = pg.escapeIdentifier;

beforeAll(async () => {
  session = await postgresProvider.connect({ name: 'main-db', provider: 'postgres', url });
  admin = new Admin(url);
  for (const r of ['owner1', 'owner2']) await admin.query(undefined, `CREATE ROLE ${q(`${P}_${r}`)}`);
});
afterAll(async () => {
  await session.close();
  await admin.cleanup(P);
  await admin.end();
});

describe('PostgresDatabase', () => {
  it('creates, reads, updates, sees drift, restores, renames and deletes', async () => {
    const name = `${P}_main`;
    const d1 = db(name, { owner: `${P}_owner1`, encoding: 'utf-8', locale: 'C', template: 'template0', connectionLimit: 20 });
    const out = await session.create(d1);
    expect(out).toMatchObject({ name, owner: `${P}_owner1`, encoding: 'UTF8' });
    let rec = recorded(d1, out);
    let obs = await session.read(rec);
    expect(specDiff(KIND, d1.spec, obs!.spec)).toEqual([]);

    const d2 = db(name, { ...d1.spec, owner: `${P}_owner2`, connectionLimit: -1, allowConnections: false });
    await session.update(d2, rec, ['/spec/allowConnections', '/spec/connectionLimit', '/spec/owner']);
    rec = recorded(d2, out);
    obs = await session.read(rec);
    expect(specDiff(KIND, d2.spec, obs!.spec)).toEqual([]);

    await admin.query(undefined, `ALTER DATABASE ${q(name)} WITH CONNECTION LIMIT 3 ALLOW_CONNECTIONS true`);
    await admin.query(undefined, `ALTER DATABASE ${q(name)} OWNER TO ${q(`${P}_owner1`)}`);
    obs = await session.read(rec);
    expect(specDiff(KIND, d2.spec, obs!.spec)).toEqual(['/spec/allowConnections', '/spec/connectionLimit', '/spec/owner']);
    await session.update(d2, rec, []);
    obs = await session.read(rec);
    expect(specDiff(KIND, d2.spec, obs!.spec)).toEqual([]);

    const d3 = db(name, { ...d2.spec, name: `${P}_renamed`, allowConnections: true });
    const out3 = await session.update(d3, rec, ['/spec/allowConnections', '/spec/name']);
    expect(out3).toMatchObject({ name: `${P}_renamed`, oid: out.oid });
    rec = recorded(d3, out3);
    expect(specDiff(KIND, d3.spec, (await session.read(rec))!.spec)).toEqual([]);

    await session.delete(rec);
    expect(await session.read(rec)).toBeNull();
    await session.delete(rec);
  });

  it('quotes hostile names', async () => {
    const name = `${P} "d'b"; DROP DATABASE postgres; -- ✓`;
    const d = db('hostile', { name, owner: `${P}_owner1` });
    const out = await session.create(d);
    const rec = recorded(d, out);
    expect(specDiff(KIND, d.spec, (await session.read(rec))!.spec)).toEqual([]);
    const c = new pg.Client(pgClientFor(url, name));
    await c.connect();
    expect((await c.query('SELECT current_database() AS db')).rows[0].db).toBe(name);
    await c.end();
    await session.delete(rec);
    expect(await session.read(rec)).toBeNull();
  });

  it('refuses to drop a database others are connected to, with the reason', async () => {
    const d = db(`${P}_busy`, {});
    const out = await session.create(d);
    const c = new pg.Client(pgClientFor(url, `${P}_busy`));
    await c.connect();
    try {
      const err = await session.delete(recorded(d, out)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProviderError);
      expect((err as Error).message).toMatch(/other sessions are connected/);
    } finally {
      await c.end();
    }
    await session.delete(recorded(d, out));
  });

  it('refuses an existing database unless adopted; adoption alters, never recreates', async () => {
    const name = `${P}_legacy`;
    await admin.query(undefined, `CREATE DATABASE ${q(name)} CONNECTION LIMIT 7`);
    await admin.query(name, 'CREATE TABLE keep_me (id int)');
    const d = db(name, { owner: `${P}_owner2` });
    await expect(session.create(d)).rejects.toThrow(/already exists.*metadata\.import: true/s);
    const out = await session.create({ ...d, adopt: true });
    expect(specDiff(KIND, d.spec, (await session.read(recorded(d, out)))!.spec)).toEqual([]);
    expect(await admin.query(name, 'SELECT * FROM keep_me')).toEqual([]);
    await admin.release(name);

    const wrongEncoding = db(name, { encoding: 'LATIN1' }, true);
    await expect(session.create(wrongEncoding)).rejects.toThrow(/cannot adopt.*encoding/);
  });
});
