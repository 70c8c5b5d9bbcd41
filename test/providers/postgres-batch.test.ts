import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { postgresProvider, readOneByOne, type PostgresSession } from '../../src/providers/postgres/index.js';
import type { Desired, Recorded, Spec } from '../../src/sdk/provider.js';
import { Admin, desired, recorded, specDiff, uniquePrefix, withDefaults } from '../helpers/postgres-server.js';

const url = inject('pgUrl');
const P = uniquePrefix('batch');
let session: PostgresSession;
let admin: Admin;
const DBS = [`${P}_a`, `${P}_b`, `${P} "c"`];

const make = (kind: string, name: string, spec: Spec): Desired => desired(kind, name, withDefaults(kind, spec));

/** A mixed stack of 30 resources, in dependency order. */
function stack(): Desired[] {
  const out: Desired[] = [];
  for (let i = 0; i < 6; i++) out.push(make('PostgresRole', `${P}_r${i}`, { login: i % 2 === 0, memberOf: i > 2 ? [`${P}_r0`] : [] }));
  DBS.forEach((db, i) => out.push(make('PostgresDatabase', db, { owner: `${P}_r${i}` })));
  for (const db of DBS) for (const s of ['app', 'audit log']) out.push(make('PostgresSchema', `${db}/${s}`, { name: s, database: db, owner: `${P}_r1` }));
  for (const db of DBS) {
    out.push(make('PostgresGrant', `${db}/connect`, { role: `${P}_r3`, database: db, on: 'database', privileges: ['connect'] }));
    out.push(make('PostgresGrant', `${db}/usage`, { role: `${P}_r4`, database: db, on: 'schema', schema: 'app', privileges: ['usage', 'create'] }));
    out.push(
      make('PostgresGrant', `${db}/tables`, {
        role: `${P}_r5`,
        database: db,
        on: 'tables',
        schema: 'app',
        privileges: ['select'],
        defaultPrivileges: true,
        forRole: `${P}_r1`,
      }),
    );
  }
  out.push(make('PostgresExtension', `${DBS[0]}/citext`, { name: 'citext', database: DBS[0]!, schema: 'app' }));
  out.push(make('PostgresExtension', `${DBS[1]}/pgcrypto`, { name: 'pgcrypto', database: DBS[1]! }));
  out.push(make('PostgresExtension', `${DBS[2]}/citext`, { name: 'citext', database: DBS[2]!, version: '1.5' }));
  return out;
}

let recs: Recorded[] = [];

beforeAll(async () => {
  session = (await postgresProvider.connect({ name: 'main-db', provider: 'postgres', url })) as PostgresSession;
  admin = new Admin(url);
  for (const d of stack()) recs.push(recorded(d, await session.create(d)));
  // two resources that are recorded but gone
  recs.push(recorded(make('PostgresRole', `${P}_gone`, {})));
  recs.push(recorded(make('PostgresSchema', 'gone', { database: DBS[0]! })));
  recs = recs.reverse(); // any order works
});
afterAll(async () => {
  await session.close();
  await admin.cleanup(P);
  await admin.end();
});

describe('postgres readMany', () => {
  it('returns what read returns, for a mixed set, in input order', async () => {
    expect(recs.length).toBe(29);
    const one = await readOneByOne(session, recs);
    const many = await session.readMany(recs);
    expect(many).toEqual(one);
    expect(many.filter((o) => o === null)).toHaveLength(2);
    recs.forEach((r, i) => {
      if (many[i]) expect(specDiff(r.kind, r.spec, many[i]!.spec), r.id).toEqual([]);
    });
  });

  it('issues a bounded number of queries: per kind, one per database', async () => {
    const before = session.queries;
    await session.readMany(recs);
    const batched = session.queries - before;
    // roles 1, databases 1, schemas 3, extensions 3, grants 1 + 3
    expect(batched).toBeLessThanOrEqual(12);
    const mid = session.queries;
    await readOneByOne(session, recs);
    expect(session.queries - mid).toBeGreaterThanOrEqual(recs.length);
  });
});
