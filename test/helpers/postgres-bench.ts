/**
 * Refresh benchmark for the postgres provider: 1,000 resources (roles, databases, schemas, grants,
 * extensions) read with one batched readMany vs resource by resource through read.
 * Run: npx tsx test/helpers/postgres-bench.ts   (starts and stops its own server)
 */
import pg from 'pg';
import { postgresProvider, readOneByOne, type PostgresSession } from '../../src/providers/postgres/index.js';
import type { Desired, Recorded, Spec } from '../../src/sdk/provider.js';
import { Admin, desired, recorded, startPostgres, withDefaults } from './postgres-server.js';

const make = (kind: string, name: string, spec: Spec): Desired => desired(kind, name, withDefaults(kind, spec));

function stack(): Desired[] {
  const out: Desired[] = [];
  const dbs = ['bench_a', 'bench_b', 'bench_c', 'bench_d'];
  for (let i = 0; i < 300; i++) out.push(make('PostgresRole', `bench_r${i}`, { login: i % 3 === 0, memberOf: i % 10 === 1 ? ['bench_r0'] : [] }));
  dbs.forEach((db, i) => out.push(make('PostgresDatabase', db, { owner: `bench_r${i}` })));
  for (let i = 0; i < 300; i++) out.push(make('PostgresSchema', `s${i}`, { name: `s${i}`, database: dbs[i % 4]!, owner: 'bench_r1' }));
  for (let i = 0; i < 380; i++) {
    const role = `bench_r${i % 300}`;
    if (i >= 300) {
      out.push(make('PostgresGrant', `g${i}`, { role, database: dbs[i % 4]!, on: 'database', privileges: ['connect'] }));
    } else if (i % 2 === 0) {
      out.push(make('PostgresGrant', `g${i}`, { role, database: dbs[i % 4]!, on: 'schema', schema: `s${i}`, privileges: ['usage'] }));
    } else {
      out.push(
        make('PostgresGrant', `g${i}`, {
          role,
          database: dbs[i % 4]!,
          on: 'tables',
          schema: `s${i}`,
          privileges: ['select'],
          defaultPrivileges: true,
          forRole: 'bench_r1',
        }),
      );
    }
  }
  for (const db of dbs) for (const e of ['citext', 'pgcrypto', 'hstore', 'ltree']) out.push(make('PostgresExtension', `${db}-${e}`, { name: e, database: db }));
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const server = await startPostgres();
try {
  const admin = new Admin(server.url);
  const session = (await postgresProvider.connect({ name: 'bench', provider: 'postgres', url: server.url })) as PostgresSession;
  const ds = stack();
  const t0 = performance.now();
  const recs: Recorded[] = [];
  for (const d of ds) {
    recs.push(recorded(d, await session.create(d)));
    if (d.kind === 'PostgresSchema') {
      await admin.query(String(d.spec.database), `CREATE TABLE ${pg.escapeIdentifier(String(d.spec.name))}.t (id int)`);
    }
  }
  const setup = performance.now() - t0;

  // warm-up (pools, plans), and a check that both paths see every resource the same way
  const many = await session.readMany(recs);
  const one = await readOneByOne(session, recs);
  if (JSON.stringify(many) !== JSON.stringify(one)) throw new Error('readMany and read disagree');
  if (many.some((o) => o === null)) throw new Error('some resources read as gone');
  const batched: number[] = [];
  const single: number[] = [];
  let qBatched = 0;
  let qSingle = 0;
  for (let i = 0; i < 5; i++) {
    let q = session.queries;
    let t = performance.now();
    await session.readMany(recs);
    batched.push(performance.now() - t);
    qBatched = session.queries - q;
    q = session.queries;
    t = performance.now();
    await readOneByOne(session, recs);
    single.push(performance.now() - t);
    qSingle = session.queries - q;
  }
  const counts: Record<string, number> = {};
  for (const r of recs) counts[r.kind] = (counts[r.kind] ?? 0) + 1;
  const result = {
    resources: recs.length,
    kinds: counts,
    setupMs: Math.round(setup),
    readManyMs: Math.round(median(batched) * 10) / 10,
    readManyQueries: qBatched,
    oneByOneMs: Math.round(median(single) * 10) / 10,
    oneByOneQueries: qSingle,
    speedup: Math.round((median(single) / median(batched)) * 10) / 10,
  };
  console.log(JSON.stringify(result, null, 2));
  await session.close();
  await admin.end();
} finally {
  await server.stop();
}
