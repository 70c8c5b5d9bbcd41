import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SecretValue } from '../../src/sdk/secret-value.js';
import { postgresProvider } from '../../src/providers/postgres/index.js';
import { ProviderError, type Session, type Spec } from '../../src/sdk/provider.js';
import { Admin, desired, pgClientFor, recorded, specDiff, uniquePrefix, withDefaults } from '../helpers/postgres-server.js';

const KIND = 'PostgresRole';
const url = inject('pgUrl');
const P = uniquePrefix('role');
let session: Session;
let admin: Admin;

const role = (name: string, spec: Spec, adopt?: boolean) => desired(KIND, name, withDefaults(KIND, spec), adopt);

async function canLogin(user: string, password: string): Promise<boolean> {
  const c = new pg.Client({ ...pgClientFor(url, 'postgres'), user, password });
  try {
    await c.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

beforeAll(async () => {
  session = await postgresProvider.connect({ name: 'main-db', provider: 'postgres', url: new SecretValue(url, 'test') });
  admin = new Admin(url);
});
afterAll(async () => {
  await session.close();
  await admin.cleanup(P);
  await admin.end();
});

describe('PostgresRole', () => {
  it('creates, reads, updates, sees drift, restores and deletes', async () => {
    const group = role(`${P}_grp`, {});
    await session.create(group);
    const name = `${P}_app`;
    const d1 = role(name, { login: true, password: 'first-pw', connectionLimit: 5, validUntil: '2031-06-01', memberOf: [`${P}_grp`] });
    const out1 = await session.create(d1);
    expect(out1).toMatchObject({ name });
    expect(typeof out1.oid).toBe('number');
    let rec = recorded(d1, out1);

    let obs = await session.read(rec);
    expect(obs!.spec).not.toHaveProperty('password');
    expect(specDiff(KIND, d1.spec, obs!.spec)).toEqual([]);
    expect(obs!.outputs).toEqual(out1);
    expect(await canLogin(name, 'first-pw')).toBe(true);
    // the clear text never reached the server: only a SCRAM verifier is stored
    const [stored] = await admin.query(undefined, 'SELECT rolpassword FROM pg_authid WHERE rolname = $1', [name]);
    expect(String(stored!.rolpassword)).toMatch(/^SCRAM-SHA-256\$4096:/);

    const d2 = role(name, { login: true, password: 'second-pw', superuser: true, createdb: true, connectionLimit: 10, validUntil: 'infinity' });
    const out2 = await session.update(d2, rec, [
      '/spec/connectionLimit',
      '/spec/createdb',
      '/spec/memberOf',
      '/spec/password',
      '/spec/superuser',
      '/spec/validUntil',
    ]);
    expect(out2.oid).toBe(out1.oid);
    rec = recorded(d2, out2);
    obs = await session.read(rec);
    expect(specDiff(KIND, d2.spec, obs!.spec)).toEqual([]);
    expect(await canLogin(name, 'second-pw')).toBe(true);
    expect(await canLogin(name, 'first-pw')).toBe(false);

    // drift made outside
    await admin.query(undefined, `ALTER ROLE ${pg.escapeIdentifier(name)} NOSUPERUSER NOCREATEDB CONNECTION LIMIT 1`);
    await admin.query(undefined, `GRANT ${pg.escapeIdentifier(`${P}_grp`)} TO ${pg.escapeIdentifier(name)}`);
    obs = await session.read(rec);
    expect(specDiff(KIND, d2.spec, obs!.spec)).toEqual(['/spec/connectionLimit', '/spec/createdb', '/spec/memberOf', '/spec/superuser']);

    // update restores it; the password is left alone because it did not change
    await session.update(d2, rec, []);
    obs = await session.read(rec);
    expect(specDiff(KIND, d2.spec, obs!.spec)).toEqual([]);
    expect(await canLogin(name, 'second-pw')).toBe(true);

    // removing the password from the manifest removes it from the role
    const d3 = role(name, { login: true, superuser: true, createdb: true, connectionLimit: 10, validUntil: 'infinity' });
    await session.update(d3, rec, ['/spec/password']);
    expect(await canLogin(name, 'second-pw')).toBe(false);
    rec = recorded(d3, out2);

    await session.delete(rec);
    expect(await session.read(rec)).toBeNull();
    await session.delete(rec); // idempotent
  });

  it('renames in place when spec.name changes', async () => {
    const d1 = role('renamed', { name: `${P}_before` });
    const out = await session.create(d1);
    const d2 = role('renamed', { name: `${P}_after` });
    const out2 = await session.update(d2, recorded(d1, out), ['/spec/name']);
    expect(out2).toEqual({ name: `${P}_after`, oid: out.oid });
    expect(await session.read(recorded(d1, out))).toBeNull();
    const obs = await session.read(recorded(d2, out2));
    expect(specDiff(KIND, d2.spec, obs!.spec)).toEqual([]);
  });

  it('quotes hostile names', async () => {
    const group = `${P} g"r'p; --`;
    const name = `${P} we"ird'; DROP ROLE postgres; -- ✓名`;
    await session.create(role('hg', { name: group }));
    const d = role('hostile', { name, login: true, password: 'pa\'ss"word;', memberOf: [group] });
    const out = await session.create(d);
    const rec = recorded(d, out);
    const obs = await session.read(rec);
    expect(obs!.spec.name).toBe(name);
    expect(specDiff(KIND, d.spec, obs!.spec)).toEqual([]);
    expect(await canLogin(name, 'pa\'ss"word;')).toBe(true);
    const [pgrole] = await admin.query(undefined, "SELECT count(*)::int AS n FROM pg_roles WHERE rolname = 'postgres'");
    expect(pgrole!.n).toBe(1);
    await session.delete(rec);
    expect(await session.read(rec)).toBeNull();
  });

  it('refuses names PostgreSQL would truncate', async () => {
    const err = await session.create(role('long', { name: `${P}_${'é'.repeat(30)}` })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).message).toMatch(/at most 63 bytes/);
    expect((err as ProviderError).resourceId).toBe('PostgresRole/long');
  });

  it('refuses an existing unmanaged role unless adopted, then brings it to the declared state', async () => {
    const name = `${P}_legacy`;
    await admin.query(undefined, `CREATE ROLE ${pg.escapeIdentifier(name)} LOGIN CONNECTION LIMIT 3`);
    const d = role(name, { login: true, createdb: true, password: 'adopted-pw' });
    const err = await session.create(d).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as Error).message).toMatch(/already exists/);
    expect((err as Error).message).toMatch(/metadata\.import: true/);

    const out = await session.create({ ...d, adopt: true });
    const obs = await session.read(recorded(d, out));
    expect(specDiff(KIND, d.spec, obs!.spec)).toEqual([]);
    expect(await canLogin(name, 'adopted-pw')).toBe(true);
  });

  it('explains why a role that still owns objects cannot be dropped', async () => {
    const d = role(`${P}_owner`, {});
    const out = await session.create(d);
    await admin.query(undefined, `CREATE DATABASE ${pg.escapeIdentifier(`${P}_owned`)} OWNER ${pg.escapeIdentifier(`${P}_owner`)}`);
    const err = await session.delete(recorded(d, out)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as Error).message).toMatch(/still owns objects/);
    expect((err as Error).message).toMatch(/owner of database/);
    expect((err as ProviderError).resourceId).toBe(d.id);
  });
});
