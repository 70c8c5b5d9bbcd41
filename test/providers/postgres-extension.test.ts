import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { postgresProvider } from '../../src/providers/postgres/index.js';
import { ProviderError, type Session, type Spec } from '../../src/sdk/provider.js';
import { Admin, desired, recorded, specDiff, uniquePrefix, withDefaults } from '../helpers/postgres-server.js';

const KIND = 'PostgresExtension';
const url = inject('pgUrl');
const P = uniquePrefix('ext');
const DB = `${P}_db`;
const EXT_SCHEMA = `ext "s"; --`;
let session: Session;
let admin: Admin;

const ext = (name: string, spec: Spec, adopt?: boolean) => desired(KIND, name, withDefaults(KIND, { database: DB, ...spec }), adopt);
const q = pg.escapeIdentifier;

beforeAll(async () => {
  session = await postgresProvider.connect({ name: 'main-db', provider: 'postgres', url });
  admin = new Admin(url);
  await admin.query(undefined, `CREATE DATABASE ${q(DB)}`);
  await admin.query(DB, `CREATE SCHEMA ${q(EXT_SCHEMA)}`);
});
afterAll(async () => {
  await session.close();
  await admin.cleanup(P);
  await admin.end();
});

describe('PostgresExtension', () => {
  it('creates, reads, updates the version, sees drift, restores and deletes', async () => {
    const d1 = ext('citext', { schema: EXT_SCHEMA, version: '1.4' });
    const out = await session.create(d1);
    expect(out).toMatchObject({ name: 'citext', database: DB, schema: EXT_SCHEMA, version: '1.4' });
    let rec = recorded(d1, out);
    expect(specDiff(KIND, d1.spec, (await session.read(rec))!.spec)).toEqual([]);

    const d2 = ext('citext', { schema: EXT_SCHEMA, version: '1.6' });
    const out2 = await session.update(d2, rec, ['/spec/version']);
    expect(out2.version).toBe('1.6');
    rec = recorded(d2, out2);
    expect(specDiff(KIND, d2.spec, (await session.read(rec))!.spec)).toEqual([]);

    await admin.query(DB, 'ALTER EXTENSION citext SET SCHEMA public');
    expect(specDiff(KIND, d2.spec, (await session.read(rec))!.spec)).toEqual(['/spec/schema']);
    await session.update(d2, rec, []);
    expect(specDiff(KIND, d2.spec, (await session.read(rec))!.spec)).toEqual([]);

    await admin.query(DB, 'DROP EXTENSION citext');
    expect(await session.read(rec)).toBeNull();
    rec = recorded(d2, await session.update(d2, rec, []));
    expect(specDiff(KIND, d2.spec, (await session.read(rec))!.spec)).toEqual([]);

    await session.delete(rec);
    expect(await session.read(rec)).toBeNull();
    await session.delete(rec);
  });

  it('leaves version and schema unmanaged when absent', async () => {
    const d = ext('pgcrypto', {});
    const out = await session.create(d);
    expect(out).toMatchObject({ schema: 'public' });
    const obs = await session.read(recorded(d, out));
    expect(obs!.spec).toEqual({ database: DB });
    expect(specDiff(KIND, d.spec, obs!.spec)).toEqual([]);
  });

  it('refuses to drop an extension in use and an existing unmanaged one unless adopted', async () => {
    await admin.query(DB, 'CREATE EXTENSION hstore');
    const d = ext('hstore', { schema: 'public' });
    await expect(session.create(d)).rejects.toThrow(/extension "hstore" in database .* already exists.*metadata\.import: true/s);
    const out = await session.create({ ...d, adopt: true });
    expect(specDiff(KIND, d.spec, (await session.read(recorded(d, out)))!.spec)).toEqual([]);
    await admin.query(DB, 'CREATE TABLE kv (h hstore)');
    const err = await session.delete(recorded(d, out)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as Error).message).toMatch(/still in use/);
  });

  it('says clearly when an extension is not available', async () => {
    const err = await session.create(ext('no_such_extension', {})).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as Error).message).toMatch(/CREATE EXTENSION "no_such_extension" failed: .*not available/);
    expect((err as ProviderError).resourceId).toBe('PostgresExtension/no_such_extension');
  });
});
